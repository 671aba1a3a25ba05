package dev.tollgate.middleware.jwt;

import dev.tollgate.auth.Principal;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.jwt.internal.Bearer;
import dev.tollgate.middleware.jwt.internal.Outcome;
import io.undertow.server.HttpHandler;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the authenticated caller must have for a route: scopes and claim values. A middleware that
 * reads the {@link Principal} an authentication middleware attached (JWT, introspection or a host's
 * own), so it goes after one:
 * {@code Route.prefix("/api/orders").use(jwt).use(Requirement.scopes("orders:read"))}, or in one step
 * {@code .use(jwt.require(Requirement.scopes("orders:read")))}.
 *
 * <p>No principal: 401 with {@code WWW-Authenticate: Bearer}. A missing scope or claim: 403 with
 * {@code WWW-Authenticate: Bearer error="insufficient_scope"} (and the needed {@code scope}). Immutable
 * and thread-safe; the handler runs on the IO thread.
 */
public final class Requirement implements Middleware {

    private final Set<String> scopes;
    private final Map<String, Set<String>> claims;
    private final String scopeText;

    private Requirement(Set<String> scopes, Map<String, Set<String>> claims) {
        this.scopes = Set.copyOf(scopes);
        this.claims = Map.copyOf(claims);
        this.scopeText = String.join(" ", scopes);
    }

    /**
     * The caller must have every one of {@code scopes}.
     *
     * @throws IllegalArgumentException when a scope is empty or has a space
     */
    public static Requirement scopes(String... scopes) {
        return new Requirement(Set.of(), Map.of()).andScopes(scopes);
    }

    /**
     * Claim {@code name} must be present and, when {@code accepted} values are given, equal one of them
     * (or, for an array claim such as {@code groups}, contain one of them).
     */
    public static Requirement claim(String name, String... accepted) {
        return new Requirement(Set.of(), Map.of()).andClaim(name, accepted);
    }

    /** This requirement plus {@code more} scopes. */
    public Requirement andScopes(String... more) {
        Objects.requireNonNull(more, "scopes");
        Set<String> all = new LinkedHashSet<>(scopes);
        for (String s : more) {
            Objects.requireNonNull(s, "scope");
            if (s.isEmpty() || s.indexOf(' ') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\\') >= 0) {
                throw new IllegalArgumentException("requirement.scope: '" + s
                        + "' (expected: a non-empty scope without spaces, quotes or backslashes)");
            }
            all.add(s);
        }
        return new Requirement(all, claims);
    }

    /** This requirement plus a claim rule (see {@link #claim(String, String...)}). */
    public Requirement andClaim(String name, String... accepted) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(accepted, "accepted");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("requirement.claim: '' (expected: a claim name)");
        }
        Map<String, Set<String>> all = new LinkedHashMap<>(claims);
        all.put(name, Set.copyOf(List.of(accepted)));
        return new Requirement(scopes, all);
    }

    /** The scopes required. */
    public Set<String> requiredScopes() {
        return scopes;
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        Objects.requireNonNull(next, "next");
        return exchange -> {
            Optional<Principal> principal = Principal.current(exchange);
            Outcome.Denied denied = principal.isEmpty() ? Bearer.MISSING : check(principal.get());
            if (denied == null) {
                next.handleRequest(exchange);
            } else {
                Bearer.respond(exchange, denied);
            }
        };
    }

    /** The refusal for {@code principal}, or null when it meets the requirement. */
    Outcome.Denied check(Principal principal) {
        if (!principal.scopes().containsAll(scopes)) {
            return Bearer.insufficientScope("the token lacks a required scope", scopeText);
        }
        for (Map.Entry<String, Set<String>> rule : claims.entrySet()) {
            Object value = principal.claims().get(rule.getKey());
            if (value == null || !(rule.getValue().isEmpty() || matches(value, rule.getValue()))) {
                return Bearer.insufficientScope("the token's claim " + rule.getKey() + " does not grant access",
                        scopes.isEmpty() ? null : scopeText);
            }
        }
        return null;
    }

    private static boolean matches(Object value, Set<String> accepted) {
        if (value instanceof Collection<?> list) {
            for (Object item : list) {
                if (item != null && accepted.contains(item.toString())) {
                    return true;
                }
            }
            return false;
        }
        return accepted.contains(value.toString());
    }

    @Override
    public String toString() {
        return "Requirement[scopes=" + scopes + ", claims=" + claims + "]";
    }
}
