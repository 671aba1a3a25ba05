package dev.tollgate.middleware.cors;

import java.util.Locale;

/**
 * A parsed origin ({@code scheme://host[:port]}), normalised: scheme and host lower-case, the default
 * port of http (80) and https (443) left out. Anything else in an {@code Origin} header (a path, user
 * info, a query, spaces, an empty label, a trailing dot) makes it no origin at all. Immutable.
 */
record Origin(String scheme, String host, int port) {

    /** The origin as browsers serialise it. */
    String serialized() {
        return port < 0 ? scheme + "://" + host : scheme + "://" + host + ":" + port;
    }

    /** Parses and normalises {@code text}; null when it is not a tuple origin. */
    static Origin parse(String text) {
        int sep = text.indexOf("://");
        if (sep <= 0) {
            return null;
        }
        String scheme = text.substring(0, sep).toLowerCase(Locale.ROOT);
        if (!isScheme(scheme)) {
            return null;
        }
        String rest = text.substring(sep + 3);
        String host;
        String portText = null;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = rest.substring(0, close + 1).toLowerCase(Locale.ROOT);
            if (host.length() < 3 || !allIn(host, 1, host.length() - 1, "0123456789abcdef:.")) {
                return null;
            }
            String after = rest.substring(close + 1);
            if (!after.isEmpty()) {
                if (after.charAt(0) != ':') {
                    return null;
                }
                portText = after.substring(1);
            }
        } else {
            int colon = rest.indexOf(':');
            host = (colon < 0 ? rest : rest.substring(0, colon)).toLowerCase(Locale.ROOT);
            portText = colon < 0 ? null : rest.substring(colon + 1);
            if (!isHostName(host)) {
                return null;
            }
        }
        int port = -1;
        if (portText != null) {
            if (portText.isEmpty() || portText.length() > 5 || !allIn(portText, 0, portText.length(), "0123456789")) {
                return null;
            }
            port = Integer.parseInt(portText);
            if (port > 65535) {
                return null;
            }
            if (port == defaultPort(scheme)) {
                port = -1;
            }
        }
        return new Origin(scheme, host, port);
    }

    // a letter, then letters, digits, '+', '-', '.' (RFC 3986 3.1), already lower-cased
    private static boolean isScheme(String s) {
        return !s.isEmpty() && s.charAt(0) >= 'a' && s.charAt(0) <= 'z'
                && allIn(s, 1, s.length(), "abcdefghijklmnopqrstuvwxyz0123456789+-.");
    }

    private static boolean allIn(String s, int from, int to, String allowed) {
        for (int i = from; i < to; i++) {
            if (allowed.indexOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static int defaultPort(String scheme) {
        return switch (scheme) {
            case "http", "ws" -> 80;
            case "https", "wss" -> 443;
            default -> -2;
        };
    }

    // dot-separated labels of letters, digits, '-' and '_', none empty
    private static boolean isHostName(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return false;
        }
        boolean labelStart = true;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '.') {
                if (labelStart) {
                    return false;
                }
                labelStart = true;
            } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                labelStart = false;
            } else {
                return false;
            }
        }
        return !labelStart;
    }
}
