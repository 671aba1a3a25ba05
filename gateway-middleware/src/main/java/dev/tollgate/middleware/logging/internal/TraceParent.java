package dev.tollgate.middleware.logging.internal;

/**
 * Reads the trace ID out of a W3C Trace Context {@code traceparent} header
 * ({@code version-traceid-parentid-flags}, lower-case hex). A malformed header yields null, as the
 * specification says a receiver must then start a new trace rather than trust it.
 */
public final class TraceParent {

    private TraceParent() {
    }

    /** The 32-hex-digit trace ID, or null when {@code header} is absent or malformed. */
    public static String traceId(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        // version 00 is exactly 55 characters; later versions may append fields after a '-'
        if (h.length() < 55 || (h.length() > 55 && h.charAt(55) != '-')) {
            return null;
        }
        if (h.charAt(2) != '-' || h.charAt(35) != '-' || h.charAt(52) != '-') {
            return null;
        }
        if (!hex(h, 0, 2) || h.startsWith("ff") || !hex(h, 3, 35) || !hex(h, 36, 52) || !hex(h, 53, 55)) {
            return null;
        }
        if (h.startsWith("00") && h.length() != 55) {
            return null;
        }
        if (zeros(h, 3, 35) || zeros(h, 36, 52)) {
            return null;
        }
        return h.substring(3, 35);
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
