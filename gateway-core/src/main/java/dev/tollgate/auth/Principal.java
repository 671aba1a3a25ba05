package dev.tollgate.auth;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The authenticated caller of a request: a subject, its claims and its scopes. An authentication
 * middleware (JWT, introspection, a host's own) {@linkplain #attach(HttpServerExchange) attaches}
 * it once the credentials are verified; later middleware read it with
 * {@link #current(HttpServerExchange)}. Immutable and thread-safe.
 */
public final class Principal {

    private static final AttachmentKey<Principal> KEY = AttachmentKey.create(Principal.class);

    private final String subject;
    private final Map<String, Object> claims;
    private final Set<String> scopes;

    private Principal(String subject, Map<String, Object> claims, Set<String> scopes) {
        this.subject = subject;
        this.claims = claims;
        this.scopes = scopes;
    }

    /**
     * A principal.
     *
     * @param subject the caller's identity (a JWT's {@code sub}); may be empty, never null
     * @param claims  every verified claim by name (JSON types: String, Number, Boolean, List, Map)
     * @param scopes  the granted scopes
     */
    public static Principal of(String subject, Map<String, ?> claims, Set<String> scopes) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(claims, "claims");
        Objects.requireNonNull(scopes, "scopes");
        return new Principal(subject, Collections.unmodifiableMap(new LinkedHashMap<>(claims)), Set.copyOf(scopes));
    }

    public String subject() {
        return subject;
    }

    /** Every verified claim by name; unmodifiable. */
    public Map<String, Object> claims() {
        return claims;
    }

    /** One claim, if present. */
    public Optional<Object> claim(String name) {
        return Optional.ofNullable(claims.get(name));
    }

    public Set<String> scopes() {
        return scopes;
    }

    /** Makes this the request's principal, replacing any earlier one. Any thread. */
    public void attach(HttpServerExchange exchange) {
        exchange.putAttachment(KEY, this);
    }

    /** The request's principal, if an authentication middleware attached one. Any thread. */
    public static Optional<Principal> current(HttpServerExchange exchange) {
        return Optional.ofNullable(exchange.getAttachment(KEY));
    }

    @Override
    public String toString() {
        return "Principal[" + subject + ", scopes=" + scopes + "]";
    }
}
