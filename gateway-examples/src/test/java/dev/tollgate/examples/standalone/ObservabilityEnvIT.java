package dev.tollgate.examples.standalone;

import dev.tollgate.config.ConfigException;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import io.undertow.util.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standalone gateway's metrics and tracing as the environment switches them. */
class ObservabilityEnvIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String DEFAULT_ROUTE_OK =
            "tollgate_requests_seconds_count{method=\"GET\",outcome=\"response\",route=\"default\",status=\"2xx\"} 1";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final List<byte[]> exported = new CopyOnWriteArrayList<>();
    private final List<String> exportedTypes = new CopyOnWriteArrayList<>();
    // the backend also plays the OTLP collector on /v1/traces
    private final TestBackend backend = TestBackend.builder().name("b").route("/v1/traces", ex ->
            ex.getRequestReceiver().receiveFullBytes((e, body) -> {
                exported.add(body);
                exportedTypes.add(e.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
                e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/x-protobuf");
                e.getResponseSender().send("");
            })).start();
    private StandaloneGateway running;

    @AfterEach
    void close() {
        if (running != null) {
            running.stop();
        }
        backend.close();
    }

    private StandaloneGateway start(String... vars) {
        Map<String, String> env = new HashMap<>(Map.of("GATEWAY_PORT", "0", "GATEWAY_BACKEND_TARGET", backend.uri().toString()));
        for (int i = 0; i < vars.length; i += 2) {
            env.put(vars[i], vars[i + 1]);
        }
        running = StandaloneGateway.start(env);
        return running;
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAreOnByDefaultAtSlashMetricsOnTheMainPort() throws Exception {
        int port = start().gateway().port();
        assertThat(get(port, "/anything").statusCode()).isEqualTo(200);
        Await.untilAsserted(() -> assertThat(get(port, "/metrics").body().lines()).contains(DEFAULT_ROUTE_OK), TIMEOUT);
        HttpResponse<String> scrape = get(port, "/metrics");
        assertThat(scrape.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        assertThat(scrape.body()).contains("jvm_memory_used_bytes", "process_uptime_seconds", "tollgate_connections_open");
        assertThat(backend.requests()).extracting(r -> r.path()).containsExactly("/anything");
    }

    @Test
    void withAnAdminPortMetricsMoveThereAndAnotherPathCanBeChosen() throws Exception {
        StandaloneGateway g = start("ADMIN_PORT", "0", "METRICS_PATH", "/prom");
        int port = g.gateway().port();
        assertThat(get(port, "/x").statusCode()).isEqualTo(200);
        Await.untilAsserted(() -> assertThat(get(g.gateway().adminPort(), "/prom").body().lines()).contains(DEFAULT_ROUTE_OK), TIMEOUT);
        assertThat(get(g.gateway().adminPort(), "/metrics").statusCode()).isEqualTo(404);
        // on the main port the path is just another request for the backend
        assertThat(get(port, "/prom").body()).contains("\"path\":\"/prom\"");
    }

    @Test
    void metricsCanBeSwitchedOff() throws Exception {
        int port = start("METRICS_ENABLED", "false").gateway().port();
        assertThat(get(port, "/metrics").body()).contains("\"path\":\"/metrics\"", "\"backend\":\"b\"");
    }

    @Test
    void badVariablesAreNamed() {
        assertThatThrownBy(() -> start("METRICS_PATH", "metrics")).isInstanceOf(ConfigException.class)
                .hasMessage("METRICS_PATH='metrics': adminRoute: 'metrics' (expected: an absolute path such as /health)");
        assertThatThrownBy(() -> start("METRICS_ENABLED", "maybe")).isInstanceOf(ConfigException.class)
                .hasMessage("METRICS_ENABLED: 'maybe' is not a boolean (expected: true or false)");
        assertThatThrownBy(() -> start("TRACE_ID_HEADER", "X-Trace-Id")).isInstanceOf(ConfigException.class)
                .hasMessage("TRACE_ID_HEADER is set but tracing is off (expected: OTEL_EXPORTER_OTLP_ENDPOINT too)");
        assertThatThrownBy(() -> start("OTEL_EXPORTER_OTLP_ENDPOINT", backend.uri().toString(), "OTEL_TRACES_SAMPLER", "sometimes"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("OTEL_*: ").hasMessageContaining("sometimes");
        assertThatThrownBy(() -> start("OTEL_EXPORTER_OTLP_ENDPOINT", backend.uri().toString(), "TRACE_ID_HEADER", "X Trace"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("TRACE_ID_HEADER='X Trace': tracing.traceIdHeader: 'X Trace' (expected: a header name such as X-Trace-Id)");
    }

    @Test
    void withAnOtlpEndpointTracesAreExportedThere() throws Exception {
        StandaloneGateway g = start("OTEL_EXPORTER_OTLP_ENDPOINT", backend.uri().toString(),
                "OTEL_SERVICE_NAME", "edge-under-test", "OTEL_BSP_SCHEDULE_DELAY", "100", "TRACE_ID_HEADER", "X-Trace-Id");
        HttpResponse<String> r = get(g.gateway().port(), "/orders/1");
        assertThat(r.statusCode()).isEqualTo(200);
        String traceId = r.headers().firstValue("X-Trace-Id").orElseThrow();
        assertThat(traceId).matches("[0-9a-f]{32}");
        assertThat(backend.lastRequest().header("traceparent")).startsWith("00-" + traceId + "-");

        Await.until(() -> exported.stream().anyMatch(b -> contains(b, HexFormat.of().parseHex(traceId))), TIMEOUT,
                "an OTLP export with the request's trace");
        assertThat(exportedTypes).allMatch(t -> t.equals("application/x-protobuf"));
        byte[] batch = exported.stream().filter(b -> contains(b, HexFormat.of().parseHex(traceId))).findFirst().orElseThrow();
        assertThat(contains(batch, "edge-under-test".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(contains(batch, "GET /**".getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void spansStillBufferedAreFlushedWhenTheGatewayStops() throws Exception {
        StandaloneGateway g = start("OTEL_EXPORTER_OTLP_ENDPOINT", backend.uri().toString(),
                "OTEL_BSP_SCHEDULE_DELAY", "600000", "TRACE_ID_HEADER", "X-Trace-Id");
        HttpResponse<String> r = get(g.gateway().port(), "/late");
        byte[] traceId = HexFormat.of().parseHex(r.headers().firstValue("X-Trace-Id").orElseThrow());
        assertThat(exported).isEmpty(); // a ten-minute batch delay: nothing sent yet
        running = null;
        g.stop();
        assertThat(exported).anyMatch(b -> contains(b, traceId));
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
