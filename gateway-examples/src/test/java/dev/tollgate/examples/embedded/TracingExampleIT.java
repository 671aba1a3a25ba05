package dev.tollgate.examples.embedded;

import dev.tollgate.Gateway;
import dev.tollgate.testing.TestBackend;
import io.undertow.util.Headers;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The tracing example against a stand-in collector: spans arrive over OTLP/HTTP, metrics on the admin port. */
class TracingExampleIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void requestsAreTracedToTheCollectorAndCounted() throws Exception {
        List<byte[]> exported = new CopyOnWriteArrayList<>();
        HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        try (TestBackend users = TestBackend.start("users");
             TestBackend collector = TestBackend.builder().name("collector").handler(ex ->
                     ex.getRequestReceiver().receiveFullBytes((e, body) -> {
                         if (e.getRequestPath().equals("/v1/traces")) {
                             exported.add(body);
                         }
                         e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/x-protobuf");
                         e.getResponseSender().send("");
                     })).start()) {
            Gateway gateway = TracingExample.build(0, 0, users.uri().toString(), collector.uri().toString(), 1.0).start();
            byte[] traceId;
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.port() + "/users/7")).timeout(TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                String id = r.headers().firstValue("X-Trace-Id").orElseThrow();
                assertThat(users.lastRequest().header("traceparent")).startsWith("00-" + id + "-");
                traceId = HexFormat.of().parseHex(id);
                String metrics = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).timeout(TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("tollgate_upstream_attempts_seconds_count{endpoint=\"127.0.0.1:" + users.port() + "\"");
            } finally {
                gateway.stop(Duration.ofSeconds(5)); // flushes the batch
            }
            assertThat(exported).anySatisfy(batch -> {
                String text = new String(batch, StandardCharsets.ISO_8859_1);
                assertThat(text).contains("tollgate-example", "GET /users/{id}", new String(traceId, StandardCharsets.ISO_8859_1));
            });
        }
    }
}
