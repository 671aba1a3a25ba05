package dev.tollgate.proxy;

import dev.tollgate.Gateway;
import dev.tollgate.route.Mirror;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.FaultProxy;
import dev.tollgate.testing.RecordedRequest;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import io.undertow.server.HttpServerExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Traffic mirroring end to end: copies reach the shadow, and a bad shadow never reaches the client. */
class MirrorIT {

    private final TestBackend primary = TestBackend.start("primary");
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private TestBackend shadow;
    private FaultProxy fault;
    private Gateway gateway;
    private final java.util.concurrent.atomic.AtomicInteger mirroredSent = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger mirroredSkipped = new AtomicInteger();

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.stop(Duration.ofSeconds(1));
        }
        primary.close();
        if (shadow != null) {
            shadow.close();
        }
        if (fault != null) {
            fault.close();
        }
    }

    private void start(URI shadowUri, Mirror.Builder mirror) {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("primary").endpoint(primary.uri()))
                .upstream(Upstream.builder("shadow").endpoint(shadowUri))
                .route(Route.prefix("/").to("primary").mirror(mirror))
                .listener(new dev.tollgate.observe.GatewayListener() {
                    @Override
                    public void requestMirrored(HttpServerExchange exchange, String shadowUpstream, boolean sent) {
                        assertThat(shadowUpstream).isEqualTo("shadow");
                        (sent ? mirroredSent : mirroredSkipped).incrementAndGet();
                    }
                })
                .build().start();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyGetIsCopiedToTheShadowAndThePrimaryResponseIsUnchanged() throws Exception {
        shadow = TestBackend.start("shadow");
        start(shadow.uri(), Mirror.to("shadow"));
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = get("/orders/" + i + "?q=" + i);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("primary");
            assertThat(r.body()).contains("\"path\":\"/orders/" + i + "\"").doesNotContain("X-Mirrored");
        }
        shadow.awaitRequestCount(20, Duration.ofSeconds(5));
        assertThat(primary.requestCount()).isEqualTo(20);
        RecordedRequest copy = shadow.lastRequest();
        assertThat(copy.method()).isEqualTo("GET");
        assertThat(copy.uri()).isEqualTo("/orders/19?q=19");
        assertThat(copy.header("X-Mirrored")).isEqualTo("true");
        assertThat(copy.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(primary.lastRequest().header("X-Mirrored")).isNull();
    }

    @Test
    void requestsWithABodyAreNotMirroredInThisRound() throws Exception {
        shadow = TestBackend.start("shadow");
        start(shadow.uri(), Mirror.to("shadow"));
        HttpResponse<String> posted = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/p"))
                .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(200);
        assertThat(posted.body()).contains("\"bodyBytes\":5");
        get("/after");
        shadow.awaitRequestCount(1, Duration.ofSeconds(5));
        assertThat(shadow.requests()).extracting(RecordedRequest::path).containsExactly("/after");
    }

    @Test
    void aPercentageIsCountedExactly() throws Exception {
        shadow = TestBackend.start("shadow");
        start(shadow.uri(), Mirror.to("shadow").percent(10));
        for (int i = 0; i < 200; i++) {
            assertThat(get("/p/" + i).statusCode()).isEqualTo(200);
        }
        shadow.awaitRequestCount(20, Duration.ofSeconds(5));
        assertThat(shadow.requestCount()).isEqualTo(20);
        assertThat(mirroredSent.get()).isEqualTo(20);
        assertThat(mirroredSkipped.get()).isZero();
    }

    @Test
    void aHungShadowDoesNotDelayThePrimaryAndMaxConcurrentBoundsTheCopies() throws Exception {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        // holds every copy for 5 s without holding a thread
        shadow = TestBackend.start("shadow", (HttpServerExchange ex) -> {
            max.accumulateAndGet(now.incrementAndGet(), Math::max);
            ex.dispatch(() -> ex.getIoThread().executeAfter(() -> {
                now.decrementAndGet();
                ex.endExchange();
            }, 5000, TimeUnit.MILLISECONDS));
        });
        start(shadow.uri(), Mirror.to("shadow").maxConcurrent(4));
        long started = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            assertThat(get("/h/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        Await.until(() -> now.get() == 4, "the shadow holds 4 copies");
        assertThat(max.get()).isEqualTo(4);
        assertThat(shadow.requestCount()).isEqualTo(4);
        assertThat(mirroredSent.get()).isEqualTo(4);
        assertThat(mirroredSkipped.get()).isEqualTo(46);
    }

    @Test
    void aBlackholedShadowDoesNotDelayThePrimary() throws Exception {
        shadow = TestBackend.start("shadow");
        fault = FaultProxy.start(shadow.port()).mode(FaultProxy.Mode.BLACKHOLE);
        start(fault.uri(), Mirror.to("shadow").maxConcurrent(8));
        long started = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            assertThat(get("/b/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(primary.requestCount()).isEqualTo(50);
        assertThat(shadow.requestCount()).isZero();
    }

    @Test
    void aShadowThatRefusesConnectionsDoesNotDelayThePrimary() throws Exception {
        shadow = TestBackend.start("shadow");
        fault = FaultProxy.start(shadow.port()).mode(FaultProxy.Mode.REFUSE);
        start(fault.uri(), Mirror.to("shadow"));
        long started = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            assertThat(get("/r/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(primary.requestCount()).isEqualTo(50);
        // the copies' slots come back: once the shadow accepts again, copies flow
        fault.mode(FaultProxy.Mode.PASS);
        Await.untilAsserted(() -> {
            get("/again");
            assertThat(shadow.requestCount()).isPositive();
        }, Duration.ofSeconds(5));
    }
}
