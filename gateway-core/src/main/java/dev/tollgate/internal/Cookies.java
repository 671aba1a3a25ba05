package dev.tollgate.internal;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;

/**
 * Looks up one cookie in the {@code Cookie} header(s) in place: no cookie map, no substrings. The one
 * cookie reader of the gateway (route predicates, canary forcing, sticky sessions, hash keys).
 * Lenient like browsers: pairs split on ';', blanks around names and values ignored, a value in
 * double quotes compared without them, pairs without '=' skipped.
 */
public final class Cookies {

    private Cookies() {
    }

    /** Whether a cookie {@code name} is present and, if {@code value} is not null, has that value. */
    public static boolean has(HttpServerExchange exchange, String name, String value) {
        HeaderValues headers = exchange.getRequestHeaders().get(Headers.COOKIE);
        if (headers == null) {
            return false;
        }
        for (int i = 0; i < headers.size(); i++) {
            if (has(headers.get(i), name, value)) {
                return true;
            }
        }
        return false;
    }

    /** The value of cookie {@code name} (without surrounding double quotes), or null when absent. */
    public static String value(HttpServerExchange exchange, String name) {
        HeaderValues headers = exchange.getRequestHeaders().get(Headers.COOKIE);
        if (headers == null) {
            return null;
        }
        for (int i = 0; i < headers.size(); i++) {
            String header = headers.get(i);
            long span = find(header, name, 0);
            if (span >= 0) {
                return header.substring(valueStart(span), valueEnd(span));
            }
        }
        return null;
    }

    /** Whether this {@code Cookie} header has a cookie {@code name} (with {@code value}, unless null). */
    public static boolean has(String header, String name, String value) {
        for (long span = find(header, name, 0); span >= 0; span = find(header, name, pairEnd(header, valueEnd(span)))) {
            if (value == null) {
                return true;
            }
            int vs = valueStart(span);
            int ve = valueEnd(span);
            if (ve - vs == value.length() && header.regionMatches(vs, value, 0, value.length())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The next pair named {@code name} at or after {@code from}: its value's span, unquoted and
     * trimmed, packed as {@code start << 32 | end}; -1 when there is none.
     */
    private static long find(String header, String name, int from) {
        int n = header.length();
        int start = from;
        while (start < n) {
            int end = header.indexOf(';', start);
            if (end < 0) {
                end = n;
            }
            int eq = header.indexOf('=', start);
            if (eq >= 0 && eq < end) {
                int ns = skipBlanks(header, start, eq);
                int ne = trimBlanks(header, ns, eq);
                if (ne - ns == name.length() && header.regionMatches(ns, name, 0, name.length())) {
                    int vs = skipBlanks(header, eq + 1, end);
                    int ve = trimBlanks(header, vs, end);
                    if (ve - vs >= 2 && header.charAt(vs) == '"' && header.charAt(ve - 1) == '"') {
                        vs++;
                        ve--;
                    }
                    return ((long) vs << 32) | ve;
                }
            }
            start = end + 1;
        }
        return -1;
    }

    private static int valueStart(long span) {
        return (int) (span >>> 32);
    }

    private static int valueEnd(long span) {
        return (int) span;
    }

    // where the scan for the next pair resumes: after the ';' that ends this one
    private static int pairEnd(String header, int valueEnd) {
        int semi = header.indexOf(';', valueEnd);
        return semi < 0 ? header.length() : semi + 1;
    }

    private static int skipBlanks(String s, int from, int to) {
        while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
            from++;
        }
        return from;
    }

    private static int trimBlanks(String s, int from, int to) {
        while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
            to--;
        }
        return to;
    }
}
