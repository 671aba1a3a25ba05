package dev.tollgate.middleware.jwt;

import dev.tollgate.internal.Checks;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.jwt.internal.Args;
import dev.tollgate.middleware.jwt.internal.BearerHandler;
import dev.tollgate.middleware.jwt.internal.Forwarding;
import dev.tollgate.middleware.jwt.internal.Introspector;
import io.undertow.server.HttpHandler;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Authenticates requests by an opaque bearer token, asking an OAuth 2.0 token introspection endpoint
 * (RFC 7662) whether it is active, and attaches the caller as a {@link dev.tollgate.auth.Principal}
 * (subject {@code sub}, scopes from {@code scope}, every member of the answer as a claim).
 *
 * <pre>{@code
 * TokenIntrospection opaque = TokenIntrospection.endpoint(URI.create("https://idp.example.com/oauth2/introspect"))
 *         .clientCredentials("gateway", secret)
 *         .forwardClaim("sub", "X-User-Id")
 *         .build();
 * }</pre>
 *
 * <p>The gateway authenticates to the endpoint with HTTP Basic. An active answer is cached until the
 * token's {@code exp} or the cache TTL (default 30 s, the longest a revoked token is still accepted),
 * an inactive one for a short negative TTL (default 5 s). Refusals are those of {@link JwtAuth}: 401
 * {@code invalid_token} for an inactive or expired token; 503 {@code auth-unavailable} when the
 * endpoint fails, times out, answers garbage, or too many calls are in flight (never fails open).
 *
 * <p>Threads: the handler runs on the IO thread; a cached answer is served there, otherwise the
 * request waits for the call without holding a thread. The middleware owns an HTTP client and two
 * daemon threads; a {@code Gateway} closes it when it stops, a host mounting the handler elsewhere
 * calls {@link #close()}. Thread-safe.
 */
public final class TokenIntrospection implements Middleware, AutoCloseable {

    private final Introspector introspector;
    private final Forwarding forwarding;
    private final URI endpoint;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TokenIntrospection(Introspector introspector, Forwarding forwarding, URI endpoint) {
        this.introspector = introspector;
        this.forwarding = forwarding;
        this.endpoint = endpoint;
    }

    /**
     * The introspection endpoint (http or https).
     *
     * @throws IllegalArgumentException when it is not an absolute http(s) URL
     */
    public static Builder endpoint(URI endpoint) {
        return new Builder(Args.httpUrl("introspection.endpoint", endpoint));
    }

    /** Authenticates every request the middleware wraps. Called once at build time. */
    @Override
    public HttpHandler wrap(HttpHandler next) {
        Objects.requireNonNull(next, "next");
        return new BearerHandler(introspector, forwarding, next);
    }

    /** Authenticates, then applies {@code requirement}; closing the result closes this middleware. */
    public Middleware require(Requirement requirement) {
        return new Guarded(introspector, forwarding, requirement, this);
    }

    /** {@link #require(Requirement)} with {@link Requirement#scopes(String...)}. */
    public Middleware requireScopes(String... scopes) {
        return require(Requirement.scopes(scopes));
    }

    /** Stops the HTTP client and its threads and drops the caches. Idempotent; not on an IO thread. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            introspector.close();
        }
    }

    @Override
    public String toString() {
        return "TokenIntrospection[" + endpoint + "]";
    }

    /** Configures a {@link TokenIntrospection}; not thread-safe. */
    public static final class Builder {
        private final URI endpoint;
        private String clientId;
        private String clientSecret;
        private Duration timeout = Duration.ofSeconds(2);
        private long maxResponseBytes = 64 * 1024;
        private long cacheSize = 10_000;
        private Duration cacheTtl = Duration.ofSeconds(30);
        private Duration negativeCacheTtl = Duration.ofSeconds(5);
        private int maxConcurrentCalls = 64;
        private int maxTokenLength = 4096;
        private Duration clockSkew = Duration.ofSeconds(60);
        private final Map<String, String> forwardClaims = new LinkedHashMap<>();
        private boolean forwardAuthorization = true;

        private Builder(URI endpoint) {
            this.endpoint = endpoint;
        }

        /** The gateway's client ID and secret at the authorization server; required. */
        public Builder clientCredentials(String clientId, String clientSecret) {
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(clientSecret, "clientSecret");
            if (clientId.isEmpty()) {
                throw new IllegalArgumentException("introspection.clientId: '' (expected: the gateway's client ID)");
            }
            this.clientId = clientId;
            this.clientSecret = clientSecret;
            return this;
        }

        /** Connect and response timeout of a call; default 2 s. */
        public Builder timeout(Duration timeout) {
            this.timeout = Args.atLeast("introspection.timeout", timeout, Duration.ofMillis(1), "1ms");
            return this;
        }

        /**
         * The positive cache: at most {@code maxTokens} (default 10,000), each kept for {@code ttl}
         * (default 30 s) but never past the token's {@code exp}.
         */
        public Builder cache(long maxTokens, Duration ttl) {
            this.cacheSize = Args.atLeast("introspection.cache.maxTokens", maxTokens, 1);
            this.cacheTtl = Checks.positive("introspection.cache.ttl", ttl);
            return this;
        }

        /** How long an inactive answer is remembered; 0 to 1 min, default 5 s. */
        public Builder negativeCacheTtl(Duration ttl) {
            this.negativeCacheTtl = Args.upTo("introspection.negativeCacheTtl", ttl, Duration.ofMinutes(1), "1m");
            return this;
        }

        /** Most calls in flight at once; then 503. Default 64. */
        public Builder maxConcurrentCalls(int calls) {
            this.maxConcurrentCalls = (int) Args.atLeast("introspection.maxConcurrentCalls", calls, 1);
            return this;
        }

        /** Largest answer accepted; default 64 KiB. */
        public Builder maxResponseBytes(long bytes) {
            this.maxResponseBytes = Args.atLeast("introspection.maxResponseBytes", bytes, 256);
            return this;
        }

        /** Longest token accepted, checked before any call; 16 to 65536, default 4096. */
        public Builder maxTokenLength(int chars) {
            this.maxTokenLength = Checks.range("introspection.maxTokenLength", chars, 16, 65536);
            return this;
        }

        /** Tolerance for the answer's {@code exp} and {@code nbf}; 0 to 5 min, default 60 s. */
        public Builder clockSkew(Duration skew) {
            this.clockSkew = Args.upTo("introspection.clockSkew", skew, Duration.ofMinutes(5), "5m");
            return this;
        }

        /** As {@link JwtAuth.Builder#forwardClaim}: the answer's member {@code claim} as header {@code header}. */
        public Builder forwardClaim(String claim, String header) {
            forwardClaims.put(Objects.requireNonNull(claim, "claim"), Args.headerName("introspection.forwardClaim", header));
            return this;
        }

        /** Whether the {@code Authorization} header goes on to the upstream; default true. */
        public Builder forwardAuthorization(boolean forward) {
            this.forwardAuthorization = forward;
            return this;
        }

        /**
         * Builds the middleware.
         *
         * @throws IllegalStateException without client credentials
         */
        public TokenIntrospection build() {
            if (clientId == null) {
                throw new IllegalStateException("introspection.clientCredentials: none given (expected: the gateway's "
                        + "client ID and secret; RFC 7662 endpoints require client authentication)");
            }
            Introspector introspector = new Introspector(new Introspector.Settings(endpoint, clientId, clientSecret, timeout,
                    maxResponseBytes, cacheSize, cacheTtl, negativeCacheTtl, maxConcurrentCalls, maxTokenLength, clockSkew));
            return new TokenIntrospection(introspector, new Forwarding(forwardClaims, forwardAuthorization), endpoint);
        }
    }
}
