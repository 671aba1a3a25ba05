package dev.tollgate.middleware.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import dev.tollgate.internal.Checks;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.jwt.internal.Args;
import dev.tollgate.middleware.jwt.internal.Forwarding;
import dev.tollgate.middleware.jwt.internal.JwksSource;
import dev.tollgate.middleware.jwt.internal.JwtVerifier;
import dev.tollgate.middleware.jwt.internal.KeySnapshot;
import io.undertow.server.HttpHandler;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Authenticates requests by a JWT bearer token (RFC 7519, signed per RFC 7515) and attaches the
 * caller as a {@link dev.tollgate.auth.Principal}.
 *
 * <pre>{@code
 * JwtAuth jwt = JwtAuth.jwks(URI.create("https://idp.example.com/.well-known/jwks.json"))
 *         .issuer("https://idp.example.com").audience("orders")
 *         .algorithms(JWSAlgorithm.RS256, JWSAlgorithm.ES256)
 *         .forwardClaim("sub", "X-User-Id")
 *         .build();
 * Gateway.builder()...
 *         .route(Route.prefix("/api/orders").use(jwt.requireScopes("orders:read")).to("orders"))
 * }</pre>
 *
 * <p>Keys come from a JWKS URL ({@link #jwks(URI)}), a static JWK set ({@link #jwkSet(JWKSet)}) or an
 * HMAC secret ({@link #hmac(byte[])}). The algorithm allowlist is required; {@code none} cannot be
 * configured, and HMAC algorithms are only accepted with {@link #hmac}, so a public key can never be
 * used as an HMAC secret. The {@code jwk}, {@code jku}, {@code x5u} and {@code x5c} headers are never
 * used to find a key.
 *
 * <p>Refusals (RFC 6750): no token, 401 with {@code WWW-Authenticate: Bearer}; a malformed, forged,
 * expired or otherwise invalid token, 401 {@code error="invalid_token"} with a description; several
 * {@code Authorization} headers or an empty token, 400 {@code error="invalid_request"}; keys that
 * cannot be obtained at all, 503 {@code auth-unavailable} (never fails open). Bodies are
 * {@code application/problem+json}.
 *
 * <p>Threads: the handler runs on the IO thread and never blocks. A cached token costs a SHA-256 and a
 * cache lookup; a new RS/PS or HS token a parse and a signature check with an already-built verifier
 * (CPU only, tens of microseconds). A new ES token's check costs milliseconds of CPU on Java 17, so it
 * runs on a small bounded pool of the middleware (503 when its queue is full) while the exchange waits
 * without holding a thread; so does a token whose key is not known yet, for a JWKS fetch.
 *
 * <p>Lifecycle: a JWKS source starts fetching when {@link Builder#build()} returns and owns a daemon
 * thread and an HTTP client; with ES algorithms the middleware also owns its verification threads. A {@code Gateway} closes the {@code AutoCloseable} middleware it was built
 * with when it stops; a host that mounts the handler elsewhere calls {@link #close()}. Thread-safe.
 */
public final class JwtAuth implements Middleware, AutoCloseable {

    private static final Set<String> ASYMMETRIC = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512");
    private static final Set<String> HMAC = Set.of("HS256", "HS384", "HS512");

    private final JwtVerifier verifier;
    private final Forwarding forwarding;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();

    private JwtAuth(JwtVerifier verifier, Forwarding forwarding, String description) {
        this.verifier = verifier;
        this.forwarding = forwarding;
        this.description = description;
    }

    /**
     * Keys from a JWKS URL (http or https), fetched when built, cached for {@link Builder#jwksTtl} and
     * refreshed ahead of expiry.
     *
     * @throws IllegalArgumentException when the URL is not absolute http(s)
     */
    public static Builder jwks(URI jwksUrl) {
        return new Builder(Args.httpUrl("jwt.jwks", jwksUrl), null, null);
    }

    /** Keys from a fixed JWK set (public keys; private parts are ignored). */
    public static Builder jwkSet(JWKSet keys) {
        Objects.requireNonNull(keys, "keys");
        return new Builder(null, keys.toPublicJWKSet(), null);
    }

    /**
     * An HMAC secret shared with the token issuer; at least 32 bytes, and at least the hash size of the
     * strongest HMAC algorithm allowed (RFC 7518 3.2).
     */
    public static Builder hmac(byte[] secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length < 32) {
            throw new IllegalArgumentException("jwt.hmac: a " + secret.length + "-byte secret (expected: >= 32 bytes)");
        }
        return new Builder(null, null, secret.clone());
    }

    /** {@link #hmac(byte[])} with the UTF-8 bytes of {@code secret}. */
    public static Builder hmac(String secret) {
        return hmac(Objects.requireNonNull(secret, "secret").getBytes(StandardCharsets.UTF_8));
    }

    /** Authenticates every request the middleware wraps. Called once at build time. */
    @Override
    public HttpHandler wrap(HttpHandler next) {
        Objects.requireNonNull(next, "next");
        return new dev.tollgate.middleware.jwt.internal.BearerHandler(verifier, forwarding, next);
    }

    /** Authenticates, then applies {@code requirement}; closing the result closes this middleware. */
    public Middleware require(Requirement requirement) {
        return new Guarded(verifier, forwarding, requirement, this);
    }

    /** {@link #require(Requirement)} with {@link Requirement#scopes(String...)}. */
    public Middleware requireScopes(String... scopes) {
        return require(Requirement.scopes(scopes));
    }

    /** Verified tokens held in the cache now (approximate); for tests and metrics. */
    long cachedTokens() {
        return verifier.cachedTokens();
    }

    /** Stops JWKS fetching and drops the token cache. Idempotent; any thread but an IO thread. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            verifier.close();
        }
    }

    @Override
    public String toString() {
        return "JwtAuth[" + description + "]";
    }

    /** Configures a {@link JwtAuth}; not thread-safe. */
    public static final class Builder {
        private final URI jwksUrl;
        private final JWKSet keys;
        private final byte[] secret;
        private final Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        private String issuer;
        private final Set<String> audiences = new LinkedHashSet<>();
        private final Set<String> requiredClaims = new LinkedHashSet<>();
        private boolean requireExpiration = true;
        private Duration clockSkew = Duration.ofSeconds(60);
        private int maxTokenLength = 8192;
        private long cacheSize = 10_000;
        private Duration cacheTtl = Duration.ofMinutes(5);
        private Duration jwksTtl = Duration.ofMinutes(5);
        private Duration jwksRefreshAhead = Duration.ofSeconds(30);
        private Duration jwksRefetchInterval = Duration.ofSeconds(30);
        private Duration jwksTimeout = Duration.ofSeconds(2);
        private long jwksMaxBytes = 256 * 1024;
        private final Map<String, String> forwardClaims = new LinkedHashMap<>();
        private boolean forwardAuthorization = true;
        private boolean jwksOptions;

        private Builder(URI jwksUrl, JWKSet keys, byte[] secret) {
            this.jwksUrl = jwksUrl;
            this.keys = keys;
            this.secret = secret;
        }

        /**
         * The accepted signature algorithms; required. With a JWKS URL or JWK set: RS256/384/512,
         * PS256/384/512, ES256/384/512; with an HMAC secret: HS256/384/512.
         *
         * @throws IllegalArgumentException for {@code none}, an algorithm of the other kind, or an unsupported one
         */
        public Builder algorithms(JWSAlgorithm... algorithms) {
            Objects.requireNonNull(algorithms, "algorithms");
            Set<String> allowed = secret != null ? HMAC : ASYMMETRIC;
            for (JWSAlgorithm a : algorithms) {
                Objects.requireNonNull(a, "algorithm");
                if (!allowed.contains(a.getName())) {
                    throw new IllegalArgumentException("jwt.algorithms: " + a.getName() + " (expected: one of "
                            + new java.util.TreeSet<>(allowed) + (secret != null ? " with an HMAC secret"
                            : " with public keys; HMAC needs JwtAuth.hmac(secret)") + ")");
                }
                if (secret != null && secret.length * 8 < Integer.parseInt(a.getName().substring(2))) {
                    throw new IllegalArgumentException("jwt.algorithms: " + a.getName() + " needs a secret of at least "
                            + Integer.parseInt(a.getName().substring(2)) / 8 + " bytes (got: " + secret.length + ")");
                }
                this.algorithms.add(a);
            }
            return this;
        }

        /** {@link #algorithms(JWSAlgorithm...)} by name, e.g. {@code "RS256"}. */
        public Builder algorithms(String... names) {
            Objects.requireNonNull(names, "names");
            return algorithms(Arrays.stream(names)
                    .map(n -> JWSAlgorithm.parse(Objects.requireNonNull(n, "name").trim().toUpperCase(Locale.ROOT)))
                    .toArray(JWSAlgorithm[]::new));
        }

        /** The required {@code iss}, compared exactly; default none (any issuer). */
        public Builder issuer(String issuer) {
            Objects.requireNonNull(issuer, "issuer");
            if (issuer.isBlank()) {
                throw new IllegalArgumentException("jwt.issuer: '' (expected: the issuer URL)");
            }
            this.issuer = issuer;
            return this;
        }

        /** Accepted audiences: the token's {@code aud} must contain one; default none (any audience). */
        public Builder audience(String... audiences) {
            Objects.requireNonNull(audiences, "audiences");
            for (String a : audiences) {
                if (Objects.requireNonNull(a, "audience").isBlank()) {
                    throw new IllegalArgumentException("jwt.audience: '' (expected: an audience)");
                }
                this.audiences.add(a);
            }
            return this;
        }

        /** Claims every token must carry, whatever their value. */
        public Builder requiredClaims(String... claims) {
            this.requiredClaims.addAll(List.of(claims));
            return this;
        }

        /** Whether {@code exp} is required; default true. */
        public Builder requireExpiration(boolean require) {
            this.requireExpiration = require;
            return this;
        }

        /** Tolerance for {@code exp}, {@code nbf} and {@code iat}; whole seconds, 0 to 5 min; default 60 s. */
        public Builder clockSkew(Duration skew) {
            this.clockSkew = Args.upTo("jwt.clockSkew", skew, Duration.ofMinutes(5), "5m");
            return this;
        }

        /** Longest token accepted, in characters, checked before parsing; 256 to 65536, default 8192. */
        public Builder maxTokenLength(int chars) {
            this.maxTokenLength = Checks.range("jwt.maxTokenLength", chars, 256, 65536);
            return this;
        }

        /**
         * The cache of verified tokens: at most {@code maxTokens} (0 turns it off; default 10,000), each
         * kept for {@code ttl} (default 5 min) but never past its {@code exp}.
         */
        public Builder tokenCache(long maxTokens, Duration ttl) {
            this.cacheSize = Args.atLeast("jwt.tokenCache.maxTokens", maxTokens, 0);
            this.cacheTtl = Checks.positive("jwt.tokenCache.ttl", ttl);
            return this;
        }

        /**
         * How long a fetched JWKS is used (default 5 min) and how long before that it is fetched again
         * (default 30 s). Only for {@link #jwks(URI)}.
         */
        public Builder jwksTtl(Duration ttl, Duration refreshAhead) {
            Args.atLeast("jwt.jwksTtl", ttl, Duration.ofMillis(100), "100ms");
            Objects.requireNonNull(refreshAhead, "refreshAhead");
            if (refreshAhead.isNegative() || refreshAhead.compareTo(ttl) >= 0) {
                throw new IllegalArgumentException("jwt.jwksRefreshAhead: " + refreshAhead + " (expected: 0 to less than the TTL " + ttl + ")");
            }
            this.jwksTtl = ttl;
            this.jwksOptions = true;
            this.jwksRefreshAhead = refreshAhead;
            return this;
        }

        /**
         * The least time between two fetches caused by tokens with an unknown {@code kid} (or by the
         * lack of any key); default 30 s. Only for {@link #jwks(URI)}.
         */
        public Builder jwksRefetchInterval(Duration interval) {
            this.jwksRefetchInterval = Args.atLeast("jwt.jwksRefetchInterval", interval, Duration.ZERO, "0s");
            this.jwksOptions = true;
            return this;
        }

        /** Connect and response timeout of a JWKS fetch; default 2 s. Only for {@link #jwks(URI)}. */
        public Builder jwksTimeout(Duration timeout) {
            this.jwksTimeout = Args.atLeast("jwt.jwksTimeout", timeout, Duration.ofMillis(1), "1ms");
            this.jwksOptions = true;
            return this;
        }

        /** Largest JWKS body accepted; default 256 KiB. Only for {@link #jwks(URI)}. */
        public Builder jwksMaxBytes(long bytes) {
            this.jwksMaxBytes = Args.atLeast("jwt.jwksMaxBytes", bytes, 1024);
            this.jwksOptions = true;
            return this;
        }

        /**
         * Sends claim {@code claim} to the upstream as request header {@code header} (arrays
         * comma-separated; objects are not forwarded). A client's own {@code header} is always removed.
         */
        public Builder forwardClaim(String claim, String header) {
            forwardClaims.put(Objects.requireNonNull(claim, "claim"), Args.headerName("jwt.forwardClaim", header));
            return this;
        }

        /** Whether the {@code Authorization} header goes on to the upstream; default true. */
        public Builder forwardAuthorization(boolean forward) {
            this.forwardAuthorization = forward;
            return this;
        }

        /**
         * Builds the middleware; a JWKS source starts its first fetch now.
         *
         * @throws IllegalStateException without algorithms, with JWKS options on another key source, or
         *                               when a JWK set has no key usable with the algorithms
         */
        public JwtAuth build() {
            if (algorithms.isEmpty()) {
                throw new IllegalStateException("jwt.algorithms: none given (expected: an allowlist, e.g. algorithms(RS256, ES256))");
            }
            if (jwksUrl == null && jwksOptions) {
                throw new IllegalStateException("jwt: jwksTtl, jwksRefetchInterval, jwksTimeout and jwksMaxBytes "
                        + "apply to JwtAuth.jwks(url) only (expected: none of them with a JWK set or an HMAC secret)");
            }
            JwtVerifier.Rules rules = new JwtVerifier.Rules(Set.copyOf(algorithms), issuer, Set.copyOf(audiences),
                    Set.copyOf(requiredClaims), requireExpiration, clockSkew, maxTokenLength, cacheSize, cacheTtl);
            Forwarding forwarding = new Forwarding(forwardClaims, forwardAuthorization);
            if (jwksUrl != null) {
                JwksSource source = new JwksSource(new JwksSource.Settings(jwksUrl, jwksTtl, jwksRefreshAhead,
                        jwksRefetchInterval, jwksTimeout, jwksMaxBytes), algorithms);
                source.start();
                return new JwtAuth(new JwtVerifier(rules, null, source), forwarding, "jwks " + jwksUrl + " " + algorithms);
            }
            JWKSet set = keys != null ? keys : new JWKSet(new OctetSequenceKey.Builder(secret).build());
            KeySnapshot snapshot = KeySnapshot.of(set, algorithms);
            if (snapshot.size() == 0) {
                throw new IllegalStateException("jwt.jwkSet: no key is usable with " + algorithms + " (keys: "
                        + set.getKeys().stream().map(k -> k.getKeyType() + "/" + k.getKeyID()).toList() + ")");
            }
            return new JwtAuth(new JwtVerifier(rules, snapshot, null), forwarding,
                    (secret != null ? "hmac " : "jwk set " + snapshot.kids() + " ") + algorithms);
        }
    }
}
