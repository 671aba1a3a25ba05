package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import dev.tollgate.error.Json;
import dev.tollgate.middleware.logging.internal.IsoTime;
import org.slf4j.Marker;

import java.util.List;
import java.util.Map;

/**
 * A logback layout that writes each event as one JSON object on one line: {@code time}, {@code level},
 * {@code logger}, {@code thread}, {@code message}, the MDC entries (so {@code requestId} and
 * {@code traceId}), and {@code exception} with the stack trace when there is one. An event marked
 * {@link LogFormat#JSON_MESSAGE} (the JSON access, slow and error-summary lines) already is a JSON
 * object: its fields are kept as they are and {@code level}, {@code logger} and {@code thread} added.
 * Used for the console when {@code LOG_FORMAT=json} and for log shipping. Thread-safe.
 */
public final class JsonLogLayout extends LayoutBase<ILoggingEvent> {

    @Override
    public String doLayout(ILoggingEvent event) {
        return line(event) + CoreConstants.LINE_SEPARATOR;
    }

    /** The event's JSON object, without a line break. */
    public String line(ILoggingEvent event) {
        StringBuilder sb = new StringBuilder(256);
        String message = event.getFormattedMessage();
        boolean merge = message != null && message.length() > 2 && message.charAt(0) == '{'
                && message.charAt(message.length() - 1) == '}' && marked(event.getMarkerList());
        sb.append('{');
        if (!merge) {
            IsoTime.append(sb.append("\"time\":\""), event.getTimeStamp()).append("\",");
        }
        sb.append("\"level\":\"").append(event.getLevel()).append("\",\"logger\":");
        Json.quote(sb, event.getLoggerName()).append(",\"thread\":");
        Json.quote(sb, event.getThreadName());
        if (merge) {
            // the message's own fields carry the request's IDs already
            return sb.append(',').append(message, 1, message.length()).toString();
        }
        sb.append(",\"message\":");
        Json.quote(sb, message == null ? "" : message);
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            for (Map.Entry<String, String> e : mdc.entrySet()) {
                sb.append(',');
                Json.quote(sb, e.getKey()).append(':');
                Json.quote(sb, e.getValue() == null ? "" : e.getValue());
            }
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            sb.append(",\"exception\":");
            Json.quote(sb, ThrowableProxyUtil.asString(thrown));
        }
        return sb.append('}').toString();
    }

    private static boolean marked(List<Marker> markers) {
        if (markers == null) {
            return false;
        }
        for (Marker m : markers) {
            if (m == LogFormat.JSON_MESSAGE || m.contains(LogFormat.JSON_MESSAGE)) {
                return true;
            }
        }
        return false;
    }
}
