package dev.tollgate.middleware.logging;

import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/** How {@link RequestLogging} writes its lines. */
public enum LogFormat {
    /** {@code key=value} pairs after the method, path and status; for people reading a console. */
    TEXT,
    /** One JSON object per line, for log collectors. */
    JSON;

    /**
     * The marker on events whose message is already a JSON object; {@link JsonLogLayout} merges such a
     * message into its own object instead of quoting it as a string.
     */
    public static final Marker JSON_MESSAGE = MarkerFactory.getMarker("TOLLGATE_JSON");
}
