package dev.tollgate.middleware.jwt;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** TokenIntrospection against a real local introspection endpoint: answers, caches, coalescing and outages. */
class IntrospectionIT {

    private IntrospectionServer idp;
    private TestBackend backend;
    private Gateway gateway;

    @BeforeEach
    void start() {
        idp = new IntrospectionServer();
        backend = TestBackend.start();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
        idp.close();
    }

    private TokenIntrospection.Builder introspection() {
        return TokenIntrospection.endpoint(idp.uri())
                .clientCredentials(IntrospectionServer.CLIENT_ID, IntrospectionServer.CLIENT_SECRET)
                // generous: a loaded machine's first call of a cold JVM can take seconds
                .timeout(Duration.ofSeconds(10));
    }

    private Client gateway(TokenIntrospection opaque) {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .route(Route.prefix("/orders").use(opaque.requireScopes("orders:read")).to("b"))
                .route(Route.prefix("/").use(opaque).to("b"))
                .build().start();
        return new Client(gateway.port());
    }

    private static long inSeconds(long seconds) {
        return System.currentTimeMillis() / 1000 + seconds;
    }

    @Test
    void anActiveTokenPassesWithItsCallerAndIsCached() {
        idp.active("tok-1", "orders:read profile", inSeconds(300));
        Client c = gateway(introspection().forwardClaim("sub", "X-User-Id").forwardClaim("client_id", "X-Client-Id").build());
        HttpResponse<String> r = c.send(c.request("/orders/1", "tok-1").header("X-User-Id", "mallory").build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(backend.lastRequest().headers().get("X-User-Id")).containsExactly("alice");
        assertThat(backend.lastRequest().header("X-Client-Id")).isEqualTo("app");
        assertThat(idp.lastForm()).isEqualTo("token=tok-1&token_type_hint=access_token");
        assertThat(idp.calls()).isEqualTo(1);
        assertThat(c.get("/orders/2", "tok-1").statusCode()).isEqualTo(200);
        assertThat(c.get("/anything", "tok-1").statusCode()).isEqualTo(200);
        assertThat(idp.calls()).isEqualTo(1);
    }

    @Test
    void aMissingScopeIs403() {
        idp.active("tok-2", "profile", inSeconds(300));
        Client c = gateway(introspection().build());
        HttpResponse<String> r = c.get("/orders/1", "tok-2");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                assertThat(v).startsWith("Bearer error=\"insufficient_scope\""));
        assertThat(c.get("/other", "tok-2").statusCode()).isEqualTo(200);
    }

    @Test
    void anInactiveTokenIs401AndRememberedBriefly() {
        Client c = gateway(introspection().negativeCacheTtl(Duration.ofMillis(500)).build());
        Client.assertInvalidToken(c.get("/", "revoked"));
        Client.assertInvalidToken(c.get("/", "revoked"));
        assertThat(idp.calls()).isEqualTo(1);
        Await.until(() -> {
            Client.assertInvalidToken(c.get("/", "revoked"));
            return idp.calls() == 2;
        }, Duration.ofSeconds(10), "a new call once the negative entry is over");
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void theCacheLastsNoLongerThanItsTtl() {
        idp.active("tok-3", "orders:read", inSeconds(300));
        Client c = gateway(introspection().cache(100, Duration.ofMillis(300)).build());
        assertThat(c.get("/", "tok-3").statusCode()).isEqualTo(200);
        idp.answer("tok-3", "{\"active\":false}");
        Await.untilAsserted(() -> Client.assertInvalidToken(c.get("/", "tok-3")), Duration.ofSeconds(10));
        assertThat(idp.calls()).isEqualTo(2);
    }

    @Test
    void theCacheNeverOutlivesTheTokensExp() {
        idp.active("tok-4", "orders:read", inSeconds(4));
        Client c = gateway(introspection().clockSkew(Duration.ZERO).cache(100, Duration.ofMinutes(10)).build());
        assertThat(c.get("/", "tok-4").statusCode()).isEqualTo(200);
        assertThat(c.get("/", "tok-4").statusCode()).isEqualTo(200);
        assertThat(idp.calls()).isEqualTo(1);
        // the endpoint still calls it active: the gateway's own exp check refuses it
        Await.untilAsserted(() -> Client.assertInvalidToken(c.get("/", "tok-4")), Duration.ofSeconds(15));
        assertThat(idp.calls()).isEqualTo(2);
    }

    @Test
    void anOutageIs503AndNotCachedWhileCachedTokensGoOn() {
        idp.active("cached", "orders:read", inSeconds(300));
        idp.active("fresh", "orders:read", inSeconds(300));
        // short enough to see a timeout, long enough for a cold JVM's first call on a loaded machine
        Client c = gateway(introspection().timeout(Duration.ofSeconds(3)).build());
        assertThat(c.get("/", "cached").statusCode()).isEqualTo(200);

        for (IntrospectionServer.Mode mode : List.of(IntrospectionServer.Mode.FAIL, IntrospectionServer.Mode.GARBAGE)) {
            idp.mode(mode);
            Client.assertUnavailable(c.get("/", "fresh"));
            assertThat(c.get("/", "cached").statusCode()).isEqualTo(200);
        }
        idp.mode(IntrospectionServer.Mode.OK);
        idp.hold();
        Client.assertUnavailable(c.get("/", "fresh")); // timed out
        idp.release();
        assertThat(c.get("/", "fresh").statusCode()).as("failures are not cached").isEqualTo(200);
        assertThat(backend.requestCount()).isEqualTo(4);
    }

    @Test
    void aDeadEndpointOrWrongCredentialsAre503() {
        idp.active("tok-5", "orders:read", inSeconds(300));
        Client wrong = gateway(TokenIntrospection.endpoint(idp.uri()).clientCredentials("gateway", "wrong")
                .timeout(Duration.ofSeconds(10)).build());
        Client.assertUnavailable(wrong.get("/", "tok-5"));
        gateway.close();
        Client c = gateway(introspection().build());
        idp.close();
        Client.assertUnavailable(c.get("/", "tok-5"));
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void concurrentChecksOfOneTokenShareOneCall() throws Exception {
        idp.active("tok-6", "orders:read", inSeconds(300));
        Client c = gateway(introspection().build());
        CountDownLatch held = idp.hold();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(c.getAsync("/", "tok-6"));
        }
        Await.until(() -> idp.calls() == 1, "the one introspection call");
        held.countDown();
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertThat(f.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(idp.calls()).isEqualTo(1);
    }

    @Test
    void callsBeyondTheConcurrencyLimitAre503() throws Exception {
        idp.active("t-1", "orders:read", inSeconds(300));
        idp.active("t-2", "orders:read", inSeconds(300));
        idp.active("t-3", "orders:read", inSeconds(300));
        Client c = gateway(introspection().maxConcurrentCalls(2).build());
        CountDownLatch held = idp.hold();
        CompletableFuture<HttpResponse<String>> first = c.getAsync("/", "t-1");
        CompletableFuture<HttpResponse<String>> second = c.getAsync("/", "t-2");
        Await.until(() -> idp.calls() == 2, "two calls in flight");
        Client.assertUnavailable(c.get("/", "t-3"));
        held.countDown();
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(second.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        idp.release();
        assertThat(c.get("/", "t-3").statusCode()).isEqualTo(200);
    }

    @Test
    void aMalformedTokenIsRefusedWithoutACall() {
        Client c = gateway(introspection().maxTokenLength(64).build());
        Client.assertInvalidToken(c.get("/", "abc%22def"));
        Client.assertInvalidToken(c.get("/", "x".repeat(65)));
        Client.assertInvalidToken(c.get("/", "abc=def"));
        assertThat(idp.calls()).isZero();
    }
}
