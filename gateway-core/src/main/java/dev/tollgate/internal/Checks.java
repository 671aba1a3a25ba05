package dev.tollgate.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by the builders, with the house message format {@code name: value (expected: ...)}. */
public final class Checks {

    private Checks() {
    }

    /** @throws IllegalArgumentException unless {@code d} is longer than zero */
    public static Duration positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
        return d;
    }

    /** @throws IllegalArgumentException unless {@code min <= value <= max} */
    public static int range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    /** Whether {@code s} is an HTTP token (RFC 9110 5.6.2), which also makes it a valid cookie name. */
    public static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
