package dev.tollgate.benchmarks.jmh;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tollgate.middleware.jwt.JwtAuth;
import dev.tollgate.middleware.jwt.internal.JwtVerifier;
import dev.tollgate.middleware.jwt.internal.KeySnapshot;
import dev.tollgate.middleware.jwt.internal.Outcome;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What {@link JwtAuth} costs a request on the IO thread, through its real handler on the shared
 * browser-like GET: a token not in the cache (parse, RS256 or ES256 signature check with a prebuilt
 * verifier, claim checks, principal) and a cached one (SHA-256 of the token, cache lookup, expiry and
 * key checks, principal attached). "Fresh" runs with the token cache off, so each call verifies.
 * {@code freshEs256} calls the verifier and waits for its answer, because ES verification leaves the
 * IO thread for the middleware's verification pool: the figure includes that hand-off.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class JwtBenchmark {

    private JwtAuth cached;
    private JwtAuth uncached;
    private HttpHandler cachedHandler;
    private HttpHandler freshHandler;
    private HttpServerExchange rs256;
    private JwtVerifier uncachedVerifier;
    private String es256Token;

    @Setup
    public void setUp(Blackhole bh) throws JOSEException {
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec").generate();
        JWKSet keys = new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK()));
        cached = JwtAuth.jwkSet(keys).issuer("https://idp.example.com").audience("orders")
                .algorithms(JWSAlgorithm.RS256, JWSAlgorithm.ES256).forwardClaim("sub", "X-User-Id").build();
        uncached = JwtAuth.jwkSet(keys).issuer("https://idp.example.com").audience("orders")
                .algorithms(JWSAlgorithm.RS256, JWSAlgorithm.ES256).forwardClaim("sub", "X-User-Id")
                .tokenCache(0, Duration.ofMinutes(1)).build();
        HttpHandler terminal = bh::consume;
        cachedHandler = cached.wrap(terminal);
        freshHandler = uncached.wrap(terminal);
        rs256 = exchange(sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, "rsa"));
        es256Token = sign(new ECDSASigner(ec), JWSAlgorithm.ES256, "ec");
        Set<JWSAlgorithm> algorithms = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
        uncachedVerifier = new JwtVerifier(new JwtVerifier.Rules(algorithms, "https://idp.example.com", Set.of("orders"),
                Set.of(), true, Duration.ofSeconds(60), 8192, 0, Duration.ofMinutes(1)), KeySnapshot.of(keys, algorithms), null);
    }

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid) throws JOSEException {
        long now = System.currentTimeMillis();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), new JWTClaimsSet.Builder()
                .issuer("https://idp.example.com").audience("orders").subject("user-4711")
                .claim("scope", "orders:read orders:write profile").claim("tenant", "acme")
                .issueTime(new Date(now)).expirationTime(new Date(now + 3_600_000)).build());
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static HttpServerExchange exchange(String token) {
        HttpServerExchange exchange = BenchExchanges.browserGet();
        exchange.getRequestHeaders().put(Headers.AUTHORIZATION, "Bearer " + token);
        return exchange;
    }

    @TearDown
    public void tearDown() {
        cached.close();
        uncached.close();
        uncachedVerifier.close();
    }

    @Benchmark
    public void freshRs256() throws Exception {
        freshHandler.handleRequest(rs256);
    }

    @Benchmark
    public Object freshEs256() {
        Outcome outcome = uncachedVerifier.authenticate(es256Token);
        return outcome instanceof Outcome.Pending p ? p.result().join() : outcome;
    }


    @Benchmark
    public void cachedRs256() throws Exception {
        cachedHandler.handleRequest(rs256);
    }
}
