package dev.tollgate.middleware.jwt.internal;

import dev.tollgate.internal.Checks;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/** The argument checks the JWT and introspection builders share, in the house message format. */
public final class Args {

    private Args() {
    }

    /** @throws IllegalArgumentException unless {@code uri} is an absolute http or https URL */
    public static URI httpUrl(String name, URI uri) {
        Objects.requireNonNull(uri, name);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException(name + ": '" + uri + "' (expected: an absolute http or https URL)");
        }
        return uri;
    }

    /** @throws IllegalArgumentException unless {@code header} is a header name */
    public static String headerName(String name, String header) {
        Objects.requireNonNull(header, name);
        if (!Checks.isToken(header)) {
            throw new IllegalArgumentException(name + ": header '" + header + "' (expected: a header name)");
        }
        return header;
    }

    /** @throws IllegalArgumentException unless {@code 0 <= d <= max} */
    public static Duration upTo(String name, Duration d, Duration max, String maxText) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: 0s to " + maxText + ")");
        }
        return d;
    }

    /** @throws IllegalArgumentException unless {@code value >= min} */
    public static long atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
        }
        return value;
    }

    /** @throws IllegalArgumentException unless {@code d} is at least {@code min} */
    public static Duration atLeast(String name, Duration d, Duration min, String minText) {
        Objects.requireNonNull(d, name);
        if (d.compareTo(min) < 0) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: >= " + minText + ")");
        }
        return d;
    }
}
