package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.testing.Await;
import io.undertow.Undertow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The observed target really has metrics and tracing on, so the driver compares what it claims to. */
class ObservedTargetIT {

    @Test
    void theObservedGatewayTracesAndCounts() throws Exception {
        Undertow backend = Undertow.builder().addHttpListener(0, "127.0.0.1")
                .setHandler(ex -> ex.getResponseSender().send("{\"backend\":\"demo\"}")).build();
        backend.start();
        ProxyUnderTest target = LoadDriver.target("tollgate-observed", 1);
        try {
            int backendPort = ((InetSocketAddress) backend.getListenerInfo().get(0).getAddress()).getPort();
            int port = target.start(URI.create("http://127.0.0.1:" + backendPort));
            assertThat(target.name()).isEqualTo("tollgate-observed");
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Trace-Id")).hasValueSatisfying(id -> assertThat(id).hasSize(32));
            Await.untilAsserted(() -> assertThat(client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .contains("tollgate_requests_seconds_count{method=\"GET\",outcome=\"response\",route=\"/**\",status=\"2xx\"} 1"),
                    Duration.ofSeconds(10));
        } finally {
            target.close();
            backend.stop();
        }
    }
}
