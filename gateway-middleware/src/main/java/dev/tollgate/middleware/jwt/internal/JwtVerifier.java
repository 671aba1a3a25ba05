package dev.tollgate.middleware.jwt.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jose.proc.SecurityContext;

import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Verifies JWS-signed JWTs: the compact form's shape, the algorithm allowlist, the signature with a
 * key from the configured set (fetching a JWKS again for an unknown {@code kid}, rate-limited), then
 * {@code exp}, {@code nbf}, {@code iat}, {@code iss}, {@code aud} and required claims with a clock
 * skew. Verified tokens are cached by their SHA-256 until {@code exp} (never longer) or the cache TTL,
 * and only while the key that verified them is still in the set. Thread-safe.
 *
 * <p>Threads: {@link #authenticate} runs on the IO thread. A cache hit, an HMAC check and an RSA
 * check (a public-exponent operation: tens of microseconds) finish there. An EC signature check costs
 * milliseconds of CPU on Java 17 (measured in {@code JwtBenchmark}), long enough to stall every other
 * connection of that IO thread, so it runs on a small bounded pool owned by the verifier; when its
 * queue is full the request gets 503.
 */
public final class JwtVerifier implements Authenticator, AutoCloseable {

    /** The claim and cache rules. */
    public record Rules(Set<JWSAlgorithm> algorithms, String issuer, Set<String> audiences, Set<String> requiredClaims,
                        boolean requireExpiration, Duration clockSkew, int maxTokenLength,
                        long cacheSize, Duration cacheTtl) {
    }

    /** Deeper JSON than this in a header or payload is refused before nimbus parses it. */
    static final int MAX_JSON_DEPTH = 16;
    /** EC verifications waiting for the pool beyond this many are refused with 503. */
    static final int VERIFY_QUEUE = 1024;

    private record Verified(Outcome.Granted granted, long expiresAtMillis, KeySnapshot keys, JWK key) {
    }

    private final Rules rules;
    private final KeySnapshot fixedKeys;
    private final JwksSource source;
    private final DefaultJWTClaimsVerifier<SecurityContext> claimsVerifier;
    private final long skewMillis;
    private final Cache<TokenKey, Verified> cache;
    private final ThreadPoolExecutor ecPool;

    /**
     * @param fixedKeys the keys of a static set or secret, or null with a {@code source}
     * @param source a JWKS source (already started), or null with {@code fixedKeys}
     */
    public JwtVerifier(Rules rules, KeySnapshot fixedKeys, JwksSource source) {
        this.rules = rules;
        this.fixedKeys = fixedKeys;
        this.source = source;
        Set<String> required = new HashSet<>(rules.requiredClaims());
        if (rules.requireExpiration()) {
            required.add("exp");
        }
        JWTClaimsSet exact = null;
        if (rules.issuer() != null) {
            required.add("iss");
            exact = new JWTClaimsSet.Builder().issuer(rules.issuer()).build();
        }
        // nimbus accepts a token without exp and ignores iss and aud unless told: all three are told here
        this.claimsVerifier = new DefaultJWTClaimsVerifier<>(rules.audiences().isEmpty() ? null : Set.copyOf(rules.audiences()),
                exact, required, null);
        claimsVerifier.setMaxClockSkew((int) rules.clockSkew().toSeconds());
        this.skewMillis = rules.clockSkew().toMillis();
        if (rules.cacheSize() > 0) {
            long ttlMillis = rules.cacheTtl().toMillis();
            this.cache = Caffeine.newBuilder()
                    .maximumSize(rules.cacheSize())
                    // maintenance runs on the calling thread in small amortized steps, not in a shared pool
                    .executor(Runnable::run)
                    .expireAfter(Expiry.creating((TokenKey k, Verified v) -> Duration.ofMillis(
                            Math.max(0, Math.min(ttlMillis, v.expiresAtMillis() - System.currentTimeMillis())))))
                    .build();
        } else {
            this.cache = null;
        }
        boolean ec = rules.algorithms().stream().anyMatch(JWSAlgorithm.Family.EC::contains);
        this.ecPool = ec ? verificationPool() : null;
    }

    private static ThreadPoolExecutor verificationPool() {
        int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(VERIFY_QUEUE), r -> {
                    Thread t = new Thread(r, "tollgate-jwt-verify-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Tokens in the cache now (approximate). */
    public long cachedTokens() {
        return cache == null ? 0 : cache.estimatedSize();
    }

    @Override
    public Outcome authenticate(String token) {
        String malformed = Bearer.precheckJwt(token, rules.maxTokenLength());
        if (malformed != null) {
            return Bearer.invalidToken(malformed);
        }
        KeySnapshot keys = fixedKeys != null ? fixedKeys : source.current();
        TokenKey key = null;
        if (cache != null) {
            key = TokenKey.of(token);
            Verified v = cache.getIfPresent(key);
            if (v != null && System.currentTimeMillis() < v.expiresAtMillis()
                    && (v.keys() == keys || (keys != null && keys.contains(v.key())))) {
                return v.granted();
            }
        }
        SignedJWT jwt;
        try {
            checkDepth(token);
            jwt = SignedJWT.parse(token);
        } catch (java.text.ParseException | RuntimeException | StackOverflowError e) {
            return Bearer.invalidToken("the token is not a well-formed signed JWT");
        }
        JWSHeader header = jwt.getHeader();
        if (!rules.algorithms().contains(header.getAlgorithm())) {
            return Bearer.invalidToken("the algorithm " + header.getAlgorithm() + " is not accepted");
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            return Bearer.invalidToken("the token has critical header parameters this gateway does not understand");
        }
        if (keys == null) {
            CompletableFuture<KeySnapshot> fetch = source.demand();
            if (fetch == null) {
                return Bearer.unavailable("the signing keys could not be obtained");
            }
            TokenKey k = key;
            return new Outcome.Pending(fetch.thenApply(fresh -> fresh == null
                    ? Bearer.unavailable("the signing keys could not be obtained") : checked(jwt, fresh, k, false)));
        }
        if (ecPool != null && JWSAlgorithm.Family.EC.contains(header.getAlgorithm())) {
            TokenKey k = key;
            try {
                return new Outcome.Pending(CompletableFuture.supplyAsync(() -> checked(jwt, keys, k, source != null), ecPool));
            } catch (RejectedExecutionException e) {
                return Bearer.unavailable("too many token verifications are waiting");
            }
        }
        return verify(jwt, keys, key, source != null);
    }

    /** {@link #verify} off the IO thread, where a surprise must still end as a refusal rather than a 503. */
    private Outcome checked(SignedJWT jwt, KeySnapshot keys, TokenKey key, boolean mayRefetch) {
        try {
            return verify(jwt, keys, key, mayRefetch);
        } catch (RuntimeException e) {
            return Bearer.invalidToken("the token could not be checked");
        }
    }

    private Outcome verify(SignedJWT jwt, KeySnapshot keys, TokenKey key, boolean mayRefetch) {
        List<KeySnapshot.Candidate> candidates = keys.select(jwt.getHeader());
        if (candidates.isEmpty()) {
            CompletableFuture<KeySnapshot> fetch = mayRefetch ? source.demand() : null;
            if (fetch != null) {
                return new Outcome.Pending(fetch.thenApply(fresh -> checked(jwt, fresh == null ? keys : fresh, key, false)));
            }
            return Bearer.invalidToken("no key matches the token's kid and algorithm");
        }
        KeySnapshot.Candidate signer = null;
        for (KeySnapshot.Candidate c : candidates) {
            try {
                if (jwt.verify(c.verifier())) {
                    signer = c;
                    break;
                }
            } catch (JOSEException | RuntimeException e) {
                // this key cannot check this signature (e.g. a malformed EC signature): try the next
            }
        }
        if (signer == null) {
            return Bearer.invalidToken("the signature is not valid");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
            claimsVerifier.verify(claims, null);
        } catch (BadJWTException e) {
            return Bearer.invalidToken(e.getMessage());
        } catch (java.text.ParseException | RuntimeException e) {
            return Bearer.invalidToken("the claims are not a valid JSON object");
        }
        long now = System.currentTimeMillis();
        Date iat = claims.getIssueTime();
        if (iat != null && iat.getTime() > now + skewMillis) {
            return Bearer.invalidToken("the token was issued in the future");
        }
        Outcome.Granted granted = new Outcome.Granted(Claims.principal(claims.toJSONObject()));
        Date exp = claims.getExpirationTime();
        long expiresAt = exp == null ? Long.MAX_VALUE : exp.getTime();
        if (cache != null && expiresAt > now) {
            cache.put(key, new Verified(granted, expiresAt, keys, signer.jwk()));
        }
        return granted;
    }

    /** Refuses a header or payload nested deeper than {@link #MAX_JSON_DEPTH} before any JSON parser recurses into it. */
    static void checkDepth(String token) {
        int firstDot = token.indexOf('.');
        int secondDot = token.indexOf('.', firstDot + 1);
        Base64.Decoder decoder = Base64.getUrlDecoder();
        checkDepth(decoder.decode(token.substring(0, firstDot)));
        checkDepth(decoder.decode(token.substring(firstDot + 1, secondDot)));
    }

    private static void checkDepth(byte[] json) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '{' || b == '[') {
                if (++depth > MAX_JSON_DEPTH) {
                    throw new IllegalArgumentException("JSON nested deeper than " + MAX_JSON_DEPTH);
                }
            } else if (b == '}' || b == ']') {
                depth--;
            }
        }
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.invalidateAll();
        }
        if (source != null) {
            source.close();
        }
        if (ecPool != null) {
            ecPool.shutdownNow();
        }
    }
}
