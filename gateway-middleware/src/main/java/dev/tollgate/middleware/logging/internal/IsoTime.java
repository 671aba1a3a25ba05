package dev.tollgate.middleware.logging.internal;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * UTC timestamps like {@code 2026-11-26T13:16:35.738Z} for log lines, without a formatter call per
 * line: the text up to the second is formatted once per second and reused. Any thread.
 */
public final class IsoTime {

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private record Second(long epochSecond, String text) {
    }

    // a race only formats the same second twice
    private static volatile Second last = new Second(Long.MIN_VALUE, "");

    private IsoTime() {
    }

    /** Appends {@code epochMillis} as an ISO-8601 UTC instant with milliseconds. */
    public static StringBuilder append(StringBuilder sb, long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        int millis = (int) Math.floorMod(epochMillis, 1000);
        Second s = last;
        if (s.epochSecond != second) {
            s = new Second(second, SECONDS.format(Instant.ofEpochSecond(second)));
            last = s;
        }
        sb.append(s.text).append('.');
        if (millis < 100) {
            sb.append(millis < 10 ? "00" : "0");
        }
        return sb.append(millis).append('Z');
    }
}
