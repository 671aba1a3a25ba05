package dev.tollgate.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tests the {@link TestBackend} behaviours the other tests rely on. */
class TestBackendTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestBackend backend;

    @BeforeAll
    static void startBackend() {
        backend = TestBackend.start("alpha");
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    @Test
    void echoReportsMethodPathQueryHeadersAndBodySize() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(backend.uri("/some/path?a=1&b=%20x"))
                .header("X-Test", "one").header("x-test", "two")
                .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("alpha");
        assertThat(response.body())
                .contains("\"method\":\"POST\"", "\"path\":\"/some/path\"", "\"query\":\"a=1&b=%20x\"",
                        "\"X-Test\":[\"one\",\"two\"]", "\"bodyBytes\":5", "\"backend\":\"alpha\"");

        RecordedRequest recorded = backend.lastRequest();
        assertThat(recorded.method()).isEqualTo("POST");
        assertThat(recorded.uri()).isEqualTo("/some/path?a=1&b=%20x");
        assertThat(recorded.headers().get("X-TEST")).containsExactly("one", "two");
        assertThat(recorded.header("content-length")).isEqualTo("5");
        assertThat(recorded.bodyBytes()).isEqualTo(5);
    }

    @Test
    void statusPathAnswersThatStatus() throws Exception {
        HttpResponse<String> response = CLIENT.send(
                HttpRequest.newBuilder(backend.uri("/status/503")).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("status 503\n");
        assertThat(response.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("alpha");
    }

    @Test
    void badNumberInPathIs400() throws Exception {
        HttpResponse<String> response = CLIENT.send(
                HttpRequest.newBuilder(backend.uri("/bytes/lots")).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
    }

    @Test
    void delayDoesNotHoldTheOnlyIoThread() throws Exception {
        try (TestBackend slow = TestBackend.builder().name("slow").ioThreads(1).start()) {
            long start = System.nanoTime();
            CompletableFuture<HttpResponse<String>> delayed = CLIENT.sendAsync(
                    HttpRequest.newBuilder(slow.uri("/delay/400")).build(), BodyHandlers.ofString());
            slow.awaitRequestCount(1, TIMEOUT);

            HttpResponse<String> echo = CLIENT.send(HttpRequest.newBuilder(slow.uri("/echo")).build(),
                    BodyHandlers.ofString());
            assertThat(echo.statusCode()).isEqualTo(200);
            assertThat(delayed).isNotDone();

            HttpResponse<String> response = delayed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("{\"delayedMillis\":400}");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        }
    }

    @Test
    void bytesStreamsExactlyThePatternWithContentLength() throws Exception {
        long length = 10_000_000;
        HttpResponse<InputStream> response = CLIENT.send(
                HttpRequest.newBuilder(backend.uri("/bytes/" + length)).build(), BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(length);
        assertThat(PatternBytes.readChecking(response.body())).isEqualTo(length);
    }

    @Test
    void chunkedStreamsWithoutContentLength() throws Exception {
        try (RawHttp raw = RawHttp.connect(backend.port())) {
            raw.send("GET /chunked/100000 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawResponse response = raw.readResponse(TIMEOUT);

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.chunked()).isTrue();
            assertThat(response.header("Content-Length")).isNull();
            byte[] body = response.bodyBytes();
            assertThat(body).hasSize(100_000);
            assertThat(body[99_999]).isEqualTo(TestBackend.patternByte(99_999));
        }
    }

    @Test
    void trailersEndpointSendsChecksumTrailerAndRecordsRequestTrailers() throws Exception {
        try (RawHttp raw = RawHttp.connect(backend.port())) {
            raw.send("POST /trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\nX-Request-Sum: 42\r\n\r\n");
            RawResponse response = raw.readResponse(TIMEOUT);

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.chunked()).isTrue();
            assertThat(response.body()).isEqualTo("{\"bodyBytes\":5,\"trailers\":{\"X-Request-Sum\":[\"42\"]}}");
            assertThat(response.trailer("x-checksum")).isEqualTo(TestBackend.checksum(response.bodyBytes()));
        }
        RecordedRequest recorded = backend.lastRequest();
        assertThat(recorded.bodyBytes()).isEqualTo(5);
        assertThat(recorded.trailer("x-request-sum")).isEqualTo("42");
    }

    @Test
    void sinkCountsALargeStreamedUpload() throws Exception {
        long length = 64L * 1024 * 1024;
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(backend.uri("/sink"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> PatternBytes.stream(length))).build(),
                BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"bodyBytes\":" + length + "}");
        assertThat(backend.lastRequest().bodyBytes()).isEqualTo(length);
    }

    @Test
    void customHandlerAndRoutesReplaceBuiltIns() throws Exception {
        try (TestBackend custom = TestBackend.start("custom", exchange -> {
                exchange.setStatusCode(418);
                exchange.getResponseSender().send("teapot");
            });
             TestBackend routed = TestBackend.builder().name("routed").recordLimit(2)
                     .route("/special", exchange -> exchange.getResponseSender().send("special"))
                     .start()) {
            HttpResponse<String> teapot = CLIENT.send(HttpRequest.newBuilder(custom.uri("/status/200")).build(),
                    BodyHandlers.ofString());
            assertThat(teapot.statusCode()).isEqualTo(418);
            assertThat(teapot.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("custom");
            assertThat(custom.lastRequest().bodyBytes()).isEqualTo(-1);

            for (String path : new String[] {"/special/1", "/a", "/b"}) {
                CLIENT.send(HttpRequest.newBuilder(routed.uri(path)).build(), BodyHandlers.ofString());
            }
            assertThat(routed.requestCount()).isEqualTo(3);
            assertThat(routed.requests()).extracting(RecordedRequest::path).containsExactly("/a", "/b");
        }
    }

    @Test
    void rawPathIsRecordedUndecoded() throws Exception {
        try (RawHttp raw = RawHttp.connect(backend.port())) {
            raw.send("GET /a%2Fb/c%20d HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
            RawResponse response = raw.readResponse(TIMEOUT);
            assertThat(response.status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().path()).isEqualTo("/a%2Fb/c%20d");
    }

}
