package dev.tollgate.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations written the way Go and most operators write them: {@code 500ms}, {@code 60s},
 * {@code 2m}, {@code 1h30m}, {@code 1.5s}. Units: ns, us (or µs), ms, s, m, h. A bare {@code 0} is
 * zero. Negative values are rejected.
 */
public final class GoDuration {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private GoDuration() {
    }

    /** @throws IllegalArgumentException with what was expected, if the text is not a duration */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no duration (expected: e.g. 500ms, 60s, 2m)");
        }
        String t = text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(t);
        int pos = 0;
        double nanos = 0;
        while (pos < t.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException("'" + text + "' is not a duration (expected: e.g. 500ms, 60s, 2m, 1h30m)");
            }
            double value = Double.parseDouble(m.group(1));
            nanos += value * switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            pos = m.end();
        }
        if (pos == 0 || nanos > Long.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (expected: e.g. 500ms, 60s, 2m, 1h30m)");
        }
        return Duration.ofNanos((long) nanos);
    }

    /** Formats a duration in the same notation, e.g. {@code 1m30s}, {@code 250ms}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.toNanos() % 1_000_000_000L != 0) {
            return d.toMillis() + "ms";
        }
        long s = d.getSeconds();
        StringBuilder sb = new StringBuilder();
        if (s >= 3600) {
            sb.append(s / 3600).append('h');
            s %= 3600;
        }
        if (s >= 60) {
            sb.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0) {
            sb.append(s).append('s');
        }
        return sb.toString();
    }
}
