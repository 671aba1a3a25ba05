package dev.tollgate.middleware.ratelimit;

import dev.tollgate.auth.Principal;
import dev.tollgate.net.ClientAddress;
import dev.tollgate.route.RouteMatch;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What a rate limiter counts by: each distinct key value gets its own buckets. A key may be missing
 * from a request (no principal, no API key); the limiter then rejects it or counts it in one shared
 * anonymous bucket, as configured ({@link RateLimit.Builder#onMissingKey}).
 *
 * <p>Key values are used as they are in memory and in Redis key names (long ones hashed); they are
 * never logged. API keys are hashed (SHA-256) before use, so the secret itself is held nowhere.
 * Resolving runs on the IO thread and does not block. Immutable and thread-safe.
 */
public final class RateLimitKey {

    private static final int MAX_PLAIN_LENGTH = 128;

    private final String description;
    private final Function<HttpServerExchange, String> resolver;

    private RateLimitKey(String description, Function<HttpServerExchange, String> resolver) {
        this.description = description;
        this.resolver = resolver;
    }

    /** The authenticated user's subject ({@code sub}), from {@link Principal#current}. */
    public static RateLimitKey user() {
        return user("sub");
    }

    /**
     * A claim of the authenticated user, from {@link Principal#current}: {@code "sub"} is the
     * principal's subject, any other name a claim (its string form). Missing when no principal is
     * attached (the authentication middleware must run first) or the claim is absent or empty.
     */
    public static RateLimitKey user(String claim) {
        Objects.requireNonNull(claim, "claim");
        if (claim.isBlank()) {
            throw new IllegalArgumentException("rateLimitKey.user: '' (expected: a claim name such as sub)");
        }
        return new RateLimitKey("user(" + claim + ")", exchange -> Principal.current(exchange)
                .map(p -> "sub".equals(claim) && !p.subject().isEmpty() ? p.subject()
                        : p.claim(claim).map(String::valueOf).orElse(null))
                .filter(v -> !v.isEmpty())
                .map(RateLimitKey::bounded)
                .orElse(null));
    }

    /** An API key in request header {@code header}, hashed. */
    public static RateLimitKey apiKeyHeader(String header) {
        return apiKey(header, null);
    }

    /** An API key in query parameter {@code parameter}, hashed. */
    public static RateLimitKey apiKeyQuery(String parameter) {
        return apiKey(null, parameter);
    }

    /**
     * An API key from request header {@code header} or, when the header is absent, query parameter
     * {@code parameter}; either may be null (not both). The value is hashed with SHA-256 before it is
     * used, so neither memory, Redis nor any log holds the key in clear.
     */
    public static RateLimitKey apiKey(String header, String parameter) {
        if (header == null && parameter == null) {
            throw new IllegalArgumentException("rateLimitKey.apiKey: no header and no query parameter (expected: at least one)");
        }
        if (header != null && !dev.tollgate.internal.Checks.isToken(header)) {
            throw new IllegalArgumentException("rateLimitKey.apiKey header: '" + header + "' (expected: a header name)");
        }
        if (parameter != null && parameter.isEmpty()) {
            throw new IllegalArgumentException("rateLimitKey.apiKey parameter: '' (expected: a query parameter name)");
        }
        HttpString name = header == null ? null : new HttpString(header);
        String description = "api-key(" + (header == null ? "" : "header " + header)
                + (header != null && parameter != null ? ", " : "") + (parameter == null ? "" : "query " + parameter) + ")";
        return new RateLimitKey(description, exchange -> {
            String value = name == null ? null : exchange.getRequestHeaders().getFirst(name);
            if ((value == null || value.isEmpty()) && parameter != null) {
                Deque<String> values = exchange.getQueryParameters().get(parameter);
                value = values == null ? null : values.peekFirst();
            }
            return value == null || value.isEmpty() ? null : sha256(value);
        });
    }

    /**
     * The client address, as {@link ClientAddress#of} gives it (the socket peer, or
     * {@code X-Forwarded-For} read through the gateway's trusted proxies only).
     */
    public static RateLimitKey clientAddress() {
        return new RateLimitKey("client-address", exchange -> {
            InetAddress address = ClientAddress.of(exchange);
            return address == null ? null : address.getHostAddress();
        });
    }

    /**
     * The matched route's id ({@link RouteMatch}); so the route as a whole shares one budget. Only
     * on route middleware: before routing (global middleware) the key is always missing.
     */
    public static RateLimitKey route() {
        return new RateLimitKey("route", exchange -> {
            RouteMatch match = RouteMatch.of(exchange);
            return match == null ? null : bounded(match.route().id());
        });
    }

    /** One key for every request: a global budget. */
    public static RateLimitKey global() {
        return new RateLimitKey("global", exchange -> "*");
    }

    /**
     * A combination: one bucket per distinct tuple of the parts' values, e.g.
     * {@code of(user(), route())} for a budget per user and route. Missing when any part is.
     */
    public static RateLimitKey of(RateLimitKey... parts) {
        Objects.requireNonNull(parts, "parts");
        if (parts.length == 0) {
            throw new IllegalArgumentException("rateLimitKey.of: no parts (expected: at least one)");
        }
        RateLimitKey[] copy = parts.clone();
        for (RateLimitKey p : copy) {
            Objects.requireNonNull(p, "part");
        }
        if (copy.length == 1) {
            return copy[0];
        }
        String description = Arrays.stream(copy).map(k -> k.description).collect(Collectors.joining(", ", "of(", ")"));
        return new RateLimitKey(description, exchange -> {
            StringBuilder sb = new StringBuilder(64);
            for (RateLimitKey part : copy) {
                String v = part.resolve(exchange);
                if (v == null) {
                    return null;
                }
                if (sb.length() > 0) {
                    sb.append('|');
                }
                // escape the separator so that ("a|b", "c") and ("a", "b|c") stay apart
                sb.append(v.replace("\\", "\\\\").replace("|", "\\|"));
            }
            return bounded(sb.toString());
        });
    }

    /** A key from your own non-blocking function of the exchange (null when missing). */
    public static RateLimitKey custom(String description, Function<HttpServerExchange, String> resolver) {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(resolver, "resolver");
        return new RateLimitKey(description, exchange -> {
            String v = resolver.apply(exchange);
            return v == null || v.isEmpty() ? null : bounded(v);
        });
    }

    /**
     * This key's value for the request, or null when the request does not carry it. IO thread or any
     * other; does not block.
     */
    public String resolve(HttpServerExchange exchange) {
        return resolver.apply(exchange);
    }

    /** Long values are hashed so that a client cannot make the limiter hold arbitrarily long keys. */
    private static String bounded(String value) {
        return value.length() <= MAX_PLAIN_LENGTH ? value : "#" + sha256(value);
    }

    static String sha256(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** What the key reads, e.g. {@code user(sub)}; never a value. */
    @Override
    public String toString() {
        return description;
    }
}
