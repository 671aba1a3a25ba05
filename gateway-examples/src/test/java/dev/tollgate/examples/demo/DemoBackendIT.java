package dev.tollgate.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DemoBackendIT {

    private static DemoBackend backend;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        backend = DemoBackend.start("127.0.0.1", 0);
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + backend.port() + pathAndQuery))
                .timeout(Duration.ofSeconds(10));
    }

    @Test
    void echoesMethodPathQueryAndHeaders() throws Exception {
        HttpResponse<String> response = client.send(
                request("/orders/a%20b?x=1&y=two").method("DELETE", BodyPublishers.noBody())
                        .header("X-Test", "one")
                        .header("X-Test", "two")
                        .header("X-Quote", "say \"hi\"")
                        .build(),
                BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body())
                .startsWith("{\"method\":\"DELETE\",\"path\":\"/orders/a%20b\",\"query\":\"x=1&y=two\",\"headers\":{")
                .contains("\"X-Test\":[\"one\",\"two\"]")
                .contains("\"X-Quote\":[\"say \\\"hi\\\"\"]")
                .contains("\"Host\":[\"127.0.0.1:" + backend.port() + "\"]")
                .endsWith("},\"bodyBytes\":0,\"backend\":\"demo\"}");
    }

    @Test
    void getWithoutQueryEchoesEmptyQuery() throws Exception {
        HttpResponse<String> response = client.send(request("/plain").GET().build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"method\":\"GET\",\"path\":\"/plain\",\"query\":\"\"");
        assertThat(response.headers().firstValueAsLong("Content-Length"))
                .hasValue(response.body().length());
    }

    @Test
    void countsFixedLengthRequestBody() throws Exception {
        byte[] body = new byte[1_000_003];

        HttpResponse<String> response = client.send(
                request("/upload").POST(BodyPublishers.ofByteArray(body)).build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"method\":\"POST\"").contains("\"bodyBytes\":1000003,");
    }

    @Test
    void countsChunkedRequestBody() throws Exception {
        byte[] body = new byte[300_001];

        // an InputStream publisher has no known length, so HTTP/1.1 sends it chunked
        HttpResponse<String> response = client.send(
                request("/upload").PUT(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body())
                .containsIgnoringCase("\"transfer-encoding\":[\"chunked\"]")
                .contains("\"bodyBytes\":300001,");
    }

    @Test
    void answersExpectContinue() throws Exception {
        HttpResponse<String> response = client.send(
                request("/upload").expectContinue(true).POST(BodyPublishers.ofByteArray(new byte[5000])).build(),
                BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"bodyBytes\":5000,");
    }

    @Test
    void healthIsUp() throws Exception {
        HttpResponse<String> response = client.send(request("/health").GET().build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"status\":\"UP\"}");
    }

    @Test
    void keepsConnectionsAlive() throws Exception {
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = client.send(
                    request("/n/" + i).POST(BodyPublishers.ofString("x".repeat(i))).build(),
                    BodyHandlers.ofString());
            assertThat(response.body()).contains("\"path\":\"/n/" + i + "\"").contains("\"bodyBytes\":" + i + ",");
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> DemoBackend.start("127.0.0.1", 70000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port: 70000 (expected: 0..65535)");
        assertThatThrownBy(() -> DemoBackend.start("127.0.0.1", 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ioThreads: 0 (expected: >= 1)");
    }
}
