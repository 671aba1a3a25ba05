package dev.tollgate.config;

import dev.tollgate.Gateway;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The environment layer against real backends: a weighted list of targets is balanced. */
class EnvConfigIT {

    @Test
    void weightedTargetsShareTheTraffic() throws Exception {
        try (TestBackend a = TestBackend.start("a");
             TestBackend b = TestBackend.start("b");
             Gateway gateway = EnvConfig.of(Map.of(
                     "GATEWAY_PORT", "0",
                     "GATEWAY_HOST", "127.0.0.1",
                     "GATEWAY_BACKEND_TARGET", a.uri() + ";weight=3," + b.uri(),
                     "GATEWAY_LOAD_BALANCER", "weighted-round-robin")).toBuilder().build().start()) {
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < 400; i++) {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/x"))
                        .build(), HttpResponse.BodyHandlers.discarding());
                assertThat(r.statusCode()).isEqualTo(200);
            }
            // smooth weighted round robin gives the exact 3:1 share over whole cycles
            assertThat(a.requestCount()).isEqualTo(300);
            assertThat(b.requestCount()).isEqualTo(100);
        }
    }
}
