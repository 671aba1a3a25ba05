package dev.tollgate.middleware.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.RSAKey;
import dev.tollgate.Gateway;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Key rotation, kid storms and failures against a real local JWKS server that counts its fetches. */
class JwksRotationIT {

    private static RSAKey a;
    private static RSAKey b;
    private static RSAKey stranger;
    private final List<AutoCloseable> open = new ArrayList<>();
    private JwksServer jwks;
    private TestBackend backend;

    @BeforeAll
    static void keys() {
        a = Tokens.rsa("key-a");
        b = Tokens.rsa("key-b");
        stranger = Tokens.rsa("stranger");
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private Client gateway(JwksServer server, JwtAuth.Builder jwt, int ioThreads) {
        this.jwks = server;
        backend = TestBackend.start();
        Gateway g = TestGateway.inFrontOf(backend.uri()).ioThreads(ioThreads).use(jwt.build()).build().start();
        open.add(g);
        open.add(backend);
        open.add(server);
        return new Client(g.port());
    }

    private static JwtAuth.Builder jwt(JwksServer server) {
        // a generous timeout: the first fetch of a cold JVM on a loaded machine can take seconds
        return JwtAuth.jwks(server.uri()).issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE).algorithms(JWSAlgorithm.RS256)
                .jwksTimeout(Duration.ofSeconds(10));
    }

    @Test
    void aNewKidIsAcceptedAfterOneRefetch() {
        JwksServer server = new JwksServer(a.toPublicJWK());
        Client c = gateway(server, jwt(server), 2);
        assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
        assertThat(jwks.fetches()).isEqualTo(1);

        jwks.keys(a.toPublicJWK(), b.toPublicJWK());
        assertThat(c.get("/", Tokens.valid(b)).statusCode()).isEqualTo(200);
        assertThat(jwks.fetches()).isEqualTo(2);
        assertThat(c.get("/", Tokens.valid(b)).statusCode()).isEqualTo(200);
        assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
        assertThat(jwks.fetches()).isEqualTo(2);
    }

    @Test
    void anEs256TokenWithANewKidIsVerifiedOffTheIoThreadThenRefetched() {
        com.nimbusds.jose.jwk.ECKey ecA = Tokens.ec("ec-a");
        com.nimbusds.jose.jwk.ECKey ecB = Tokens.ec("ec-b");
        JwksServer server = new JwksServer(ecA.toPublicJWK());
        Client c = gateway(server, jwt(server).algorithms(JWSAlgorithm.ES256).forwardClaim("sub", "X-User-Id"), 1);
        assertThat(c.get("/", Tokens.valid(ecA)).statusCode()).isEqualTo(200);
        jwks.keys(ecA.toPublicJWK(), ecB.toPublicJWK());
        // verification pool first, then the fetch for the unknown kid, then back to the IO thread
        assertThat(c.get("/", Tokens.valid(ecB)).statusCode()).isEqualTo(200);
        assertThat(backend.lastRequest().header("X-User-Id")).isEqualTo("alice");
        assertThat(jwks.fetches()).isEqualTo(2);
        Client.assertInvalidToken(c.get("/", Tokens.valid(Tokens.ec("ec-c"))));
    }

    private static long threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
    }

    @Test
    void closingTheGatewayStopsTheFetchThreadAndTheVerificationPool() {
        com.nimbusds.jose.jwk.ECKey ec = Tokens.ec("ec-close");
        long fetchBefore = threads("tollgate-jwks");
        long verifyBefore = threads("tollgate-jwt-verify");
        try (JwksServer server = new JwksServer(ec.toPublicJWK()); TestBackend upstream = TestBackend.start()) {
            Gateway g = TestGateway.inFrontOf(upstream.uri())
                    .use(jwt(server).algorithms(JWSAlgorithm.ES256).build()).build().start();
            assertThat(new Client(g.port()).get("/", Tokens.valid(ec)).statusCode()).isEqualTo(200);
            assertThat(threads("tollgate-jwks")).isEqualTo(fetchBefore + 1);
            assertThat(threads("tollgate-jwt-verify")).isGreaterThan(verifyBefore);
            g.close();
            Await.until(() -> threads("tollgate-jwks") == fetchBefore && threads("tollgate-jwt-verify") == verifyBefore,
                    Duration.ofSeconds(10), "the JWT middleware's threads to end with the gateway");
        }
    }

    @Test
    void aHundredRandomKidsCostAtMostACoupleOfFetchesAndTheGoodKeyKeepsWorking() throws Exception {
        JwksServer server = new JwksServer(a.toPublicJWK());
        Client c = gateway(server, jwt(server), 2);
        assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
        long before = jwks.fetches();

        List<CompletableFuture<HttpResponse<String>>> storm = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> good = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String kid = UUID.randomUUID().toString();
            storm.add(c.getAsync("/", Tokens.sign(stranger, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(),
                    Tokens.claims().build())));
            if (i % 10 == 0) {
                good.add(c.getAsync("/", Tokens.valid(a)));
            }
        }
        for (CompletableFuture<HttpResponse<String>> f : storm) {
            Client.assertInvalidToken(f.get(20, TimeUnit.SECONDS));
        }
        for (CompletableFuture<HttpResponse<String>> f : good) {
            assertThat(f.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(jwks.fetches() - before).as("fetches caused by 100 unknown kids").isBetween(0L, 2L);
        assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
    }

    @Test
    void aFailingOrGarbageEndpointLeavesTheCachedKeysInUse() {
        JwksServer server = new JwksServer(a.toPublicJWK());
        // refreshed every 150 ms; no token cache, so each request really verifies with the key set in use
        Client c = gateway(server, jwt(server).jwksTtl(Duration.ofMillis(200), Duration.ofMillis(50))
                .tokenCache(0, Duration.ofMinutes(1)), 2);
        assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
        for (JwksServer.Mode mode : JwksServer.Mode.values()) {
            if (mode == JwksServer.Mode.OK) {
                continue;
            }
            jwks.mode(mode);
            long seen = jwks.fetches();
            // a failed refetch is retried after 1 s, then 2 s: wait for two failures
            Await.until(() -> jwks.fetches() >= seen + 2, Duration.ofSeconds(15), "two failed refetches in mode " + mode);
            assertThat(c.get("/", Tokens.valid(a)).statusCode()).as("a token in mode %s", mode).isEqualTo(200);
            jwks.mode(JwksServer.Mode.OK);
            long recovered = jwks.fetches();
            Await.until(() -> jwks.fetches() > recovered, Duration.ofSeconds(15), "a good fetch after " + mode);
        }
    }

    @Test
    void aRemovedKeyStopsWorkingWithinTtlPlusRefresh() {
        JwksServer server = new JwksServer(a.toPublicJWK(), b.toPublicJWK());
        Client c = gateway(server, jwt(server).jwksTtl(Duration.ofSeconds(1), Duration.ofMillis(200)), 2);
        String tokenB = Tokens.valid(b);
        assertThat(c.get("/", tokenB).statusCode()).isEqualTo(200);
        assertThat(c.get("/", tokenB).statusCode()).isEqualTo(200); // from the token cache now

        jwks.keys(a.toPublicJWK());
        // TTL 1 s refreshed 200 ms ahead: out within about a second; the bound is generous for a loaded machine
        Await.untilAsserted(() -> Client.assertInvalidToken(c.get("/", tokenB)), Duration.ofSeconds(10));
        assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
    }

    @Test
    void withoutAnyKeyTheAnswerIs503UntilTheEndpointRecovers() {
        JwksServer server = new JwksServer(a.toPublicJWK());
        server.mode(JwksServer.Mode.FAIL);
        Client c = gateway(server, jwt(server).jwksRefetchInterval(Duration.ofMillis(100)), 2);
        Client.assertUnavailable(c.get("/", Tokens.valid(a)));
        assertThat(backend.requestCount()).isZero();
        server.mode(JwksServer.Mode.OK);
        Await.untilAsserted(() -> assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200), Duration.ofSeconds(10));
    }

    @Test
    void aRequestWaitingForAFetchHoldsNoIoThread() throws Exception {
        JwksServer server = new JwksServer(a.toPublicJWK());
        // one IO thread: if the waiting request blocked it, nothing else could be served
        Client c = gateway(server, jwt(server), 1);
        assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
        jwks.keys(a.toPublicJWK(), b.toPublicJWK());
        CountDownLatch held = jwks.hold();
        CompletableFuture<HttpResponse<String>> waiting = c.getAsync("/", Tokens.valid(b));
        Await.until(() -> jwks.fetches() == 2, "the refetch for kid key-b to reach the JWKS server");

        for (int i = 0; i < 5; i++) {
            assertThat(c.get("/", Tokens.valid(a)).statusCode()).isEqualTo(200);
        }
        assertThat(waiting).isNotDone();
        held.countDown();
        assertThat(waiting.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
}
