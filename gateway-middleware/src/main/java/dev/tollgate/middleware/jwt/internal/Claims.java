package dev.tollgate.middleware.jwt.internal;

import dev.tollgate.auth.Principal;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Builds the {@link Principal} of verified claims. Stateless; any thread. */
public final class Claims {

    private Claims() {
    }

    /**
     * The principal: subject from {@code sub} (empty when absent), scopes from {@code scope}
     * (space-separated, RFC 8693 and 7662) or else {@code scp} (an array or a space-separated string).
     *
     * @param claims JSON values by name (String, Number, Boolean, List, Map)
     */
    public static Principal principal(Map<String, Object> claims) {
        Object sub = claims.get("sub");
        Set<String> scopes = new LinkedHashSet<>();
        Object scope = claims.containsKey("scope") ? claims.get("scope") : claims.get("scp");
        if (scope instanceof String s) {
            for (String part : s.split(" ")) {
                if (!part.isEmpty()) {
                    scopes.add(part);
                }
            }
        } else if (scope instanceof Collection<?> list) {
            for (Object item : list) {
                if (item instanceof String s && !s.isEmpty()) {
                    scopes.add(s);
                }
            }
        }
        return Principal.of(sub instanceof String s ? s : "", claims, scopes);
    }

    /** A JSON number of seconds since the epoch as epoch milliseconds, or {@code Long.MIN_VALUE} when absent or not a number. */
    public static long epochMillis(Object seconds) {
        if (seconds instanceof Number n) {
            double s = n.doubleValue();
            return Double.isFinite(s) ? (long) (s * 1000) : Long.MIN_VALUE;
        }
        return Long.MIN_VALUE;
    }
}
