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
        // copies travel independently, so they may arrive in any order
        assertThat(shadow.requests()).extracting(RecordedRequest::uri).contains("/orders/0?q=0", "/orders/19?q=19");
        RecordedRequest copy = shadow.requests().stream().filter(c -> c.uri().equals("/orders/19?q=19")).findFirst().orElseThrow();
        assertThat(copy.method()).isEqualTo("GET");
        assertThat(copy.header("X-Mirrored")).isEqualTo("true");
        assertThat(copy.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(primary.lastRequest().header("X-Mirrored")).isNull();
    }

    /** A shadow that keeps every body it receives, byte for byte. */
    private final java.util.Queue<byte[]> shadowBodies = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private TestBackend capturingShadow() {
        return TestBackend.start("shadow", ex -> ex.getRequestReceiver().receiveFullBytes((e, bytes) -> {
            shadowBodies.add(bytes);
            e.setStatusCode(204);
            e.endExchange();
        }));
    }

    private HttpResponse<String> post(String path, HttpRequest.BodyPublisher body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .POST(body).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = TestBackend.patternByte(i);
        }
        return b;
    }

    @Test
    void aBodyIsCopiedExactlyWithTheRequest() throws Exception {
        shadow = capturingShadow();
        start(shadow.uri(), Mirror.to("shadow"));
        byte[] body = pattern(40_000);
        HttpResponse<String> posted = post("/p", HttpRequest.BodyPublishers.ofByteArray(body));
        assertThat(posted.statusCode()).isEqualTo(200);
        assertThat(posted.body()).contains("\"bodyBytes\":40000");
        Await.until(() -> shadowBodies.size() == 1, "the copy to arrive");
        assertThat(shadowBodies.peek()).isEqualTo(body);
        assertThat(shadow.lastRequest().method()).isEqualTo("POST");
        assertThat(shadow.lastRequest().header("Content-Length")).isEqualTo("40000");
        assertThat(shadow.lastRequest().header("X-Mirrored")).isEqualTo("true");
    }

    @Test
    void aChunkedBodyWithinTheLimitIsCopiedExactly() throws Exception {
        shadow = capturingShadow();
        start(shadow.uri(), Mirror.to("shadow"));
        byte[] body = pattern(20_000);
        // an input stream publisher has no length: the client sends it chunked
        HttpResponse<String> posted = post("/c", HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)));
        assertThat(posted.statusCode()).isEqualTo(200);
        assertThat(posted.body()).contains("\"bodyBytes\":20000");
        assertThat(primary.lastRequest().header("Transfer-Encoding")).isNull();
        Await.until(() -> shadowBodies.size() == 1, "the copy to arrive");
        assertThat(shadowBodies.peek()).isEqualTo(body);
    }

    @Test
    void aBodyOverTheLimitStreamsToThePrimaryAndIsNotCopied() throws Exception {
        shadow = capturingShadow();
        start(shadow.uri(), Mirror.to("shadow"));
        int size = 3 * 1024 * 1024;
        HttpResponse<String> fixed = post("/big", HttpRequest.BodyPublishers.ofByteArray(pattern(size)));
        assertThat(fixed.statusCode()).isEqualTo(200);
        assertThat(fixed.body()).contains("\"bodyBytes\":" + size);
        // chunked and over the limit: the kept prefix and the rest reach the primary in full
        HttpResponse<String> chunked = post("/big-chunked",
                HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(pattern(size))));
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(chunked.body()).contains("\"bodyBytes\":" + size);
        get("/after");
        Await.until(() -> shadowBodies.size() == 1, "the GET's copy to arrive");
        assertThat(shadow.requests()).extracting(RecordedRequest::path).containsExactly("/after");
    }

    @Test
    void aHungShadowNeverDelaysAPostToThePrimary() throws Exception {
        shadow = TestBackend.start("shadow");
        fault = FaultProxy.start(shadow.port()).mode(FaultProxy.Mode.BLACKHOLE);
        start(fault.uri(), Mirror.to("shadow").maxConcurrent(8));
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/w/" + i))
                    .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("payload-" + i)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"bodyBytes\":" + ("payload-" + i).length());
        }
        assertThat(primary.requestCount()).isEqualTo(30);
        assertThat(shadow.requestCount()).isZero();
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
