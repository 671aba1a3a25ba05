package dev.tollgate.proxy;

import dev.tollgate.Gateway;
import dev.tollgate.Limits;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.RecordedRequest;
import dev.tollgate.testing.PatternBytes;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Bodies stream through the gateway both ways, with exact lengths, trailers and 100-continue. */
class StreamingIT {

    static final long HUNDRED_MIB = 100L * 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private TestBackend backend;
    private Gateway gateway;
    private HttpClient client;

    @BeforeEach
    void setUp() {
        backend = TestBackend.start();
        gateway = TestGateway.inFrontOf(backend.uri())
                // the default limit (10 MiB) is far below what these tests stream
                .limits(Limits.builder().maxRequestBodyBytes(2 * HUNDRED_MIB))
                .build().start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterEach
    void tearDown() {
        gateway.close();
        backend.close();
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + gateway.port() + pathAndQuery);
    }

    @Test
    void uploadWithContentLengthStreamsEveryByte() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/sink")).timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> PatternBytes.stream(HUNDRED_MIB)), HUNDRED_MIB))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"bodyBytes\":" + HUNDRED_MIB + "}");
        RecordedRequest seen = backend.lastRequest();
        assertThat(seen.header("Content-Length")).isEqualTo(Long.toString(HUNDRED_MIB));
        assertThat(seen.headers()).doesNotContainKey("Transfer-Encoding");
    }

    @Test
    void chunkedUploadStreamsEveryByteChunked() throws Exception {
        long length = HUNDRED_MIB + 7;
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/sink")).timeout(TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> PatternBytes.stream(length)))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"bodyBytes\":" + length + "}");
        assertThat(backend.lastRequest().header("Transfer-Encoding")).isEqualTo("chunked");
    }

    @Test
    void downloadWithContentLengthStreamsEveryByte() throws Exception {
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri("/bytes/" + HUNDRED_MIB)).timeout(TIMEOUT)
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Length")).hasValue(Long.toString(HUNDRED_MIB));
        assertThat(PatternBytes.readChecking(r.body())).isEqualTo(HUNDRED_MIB);
    }

    @Test
    void chunkedDownloadStreamsEveryByte() throws Exception {
        long length = HUNDRED_MIB + 13;
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(uri("/chunked/" + length)).timeout(TIMEOUT)
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Length")).isEmpty();
        assertThat(r.headers().firstValue("Transfer-Encoding")).hasValue("chunked");
        assertThat(PatternBytes.readChecking(r.body())).isEqualTo(length);
    }

    @Test
    void requestTrailersReachTheBackendAndResponseTrailersReachTheClient() throws IOException {
        try (RawHttp raw = RawHttp.connect(gateway.port())) {
            raw.send("POST /trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n"
                    + "TE: trailers\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: abc123\r\n\r\n");
            RawResponse r = raw.readResponse(TIMEOUT);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.chunked()).isTrue();
            assertThat(r.body()).isEqualTo("{\"bodyBytes\":11,\"trailers\":{\"X-Sum\":[\"abc123\"]}}");
            assertThat(r.trailer("X-Checksum"))
                    .isEqualTo(TestBackend.checksum(r.body().getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(backend.lastRequest().trailer("X-Sum")).isEqualTo("abc123");
        assertThat(backend.lastRequest().bodyBytes()).isEqualTo(11);
    }

    @Test
    void expectContinueFromTheJdkClientIsAnswered() throws Exception {
        String body = "x".repeat(100_000);
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/sink")).timeout(TIMEOUT)
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"bodyBytes\":100000}");
    }

    @Test
    void gatewayAnswers100ContinueItselfAndDoesNotForwardExpect() throws IOException {
        try (RawHttp raw = RawHttp.connect(gateway.port())) {
            raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            // the body is held back until the interim answer arrives, as a real client does
            RawResponse interim = raw.readResponse(TIMEOUT);
            assertThat(interim.status()).isEqualTo(100);
            raw.send("ping");
            RawResponse r = raw.readResponse(TIMEOUT);
            assertThat(r.status()).isEqualTo(200);
        }
        RecordedRequest seen = backend.lastRequest();
        assertThat(seen.bodyBytes()).isEqualTo(4);
        assertThat(seen.headers()).doesNotContainKey("Expect");
    }

}
