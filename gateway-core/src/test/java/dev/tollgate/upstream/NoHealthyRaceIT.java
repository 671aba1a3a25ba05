package dev.tollgate.upstream;

import dev.tollgate.Gateway;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.route.Route;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last endpoint becomes unavailable after the health gate let a request in but before the
 * balancer picks: the request gets no-healthy-endpoint (the documented answer when none is healthy),
 * not the generic unavailable. The window is forced open by a balancer that ejects the endpoint
 * itself while picking.
 */
class NoHealthyRaceIT {

    @Test
    void anEndpointLostBetweenTheGateAndThePickIsReportedAsNoHealthyEndpoint() throws Exception {
        AtomicReference<Gateway> self = new AtomicReference<>();
        LoadBalancer ejectingWhilePicking = candidates -> exchange -> {
            UpstreamPool pool = self.get().upstream("orders");
            for (Endpoint e : pool.endpoints()) {
                pool.recordOutcome(e, AttemptOutcome.CONNECT_FAILED, 0);
            }
            return -1;
        };
        try (TestBackend backend = TestBackend.start("b")) {
            Gateway gateway = Gateway.builder().host("127.0.0.1").port(0)
                    .upstream(Upstream.builder("orders").endpoint(backend.uri().toString())
                            .loadBalancer(ejectingWhilePicking)
                            .whenNoneHealthy(NoneHealthy.FAIL_FAST)
                            .outlierDetection(OutlierDetection.builder().consecutiveGatewayFailures(1)
                                    .maxEjectionPercent(100).baseEjectionTime(Duration.ofMinutes(5))))
                    .route(Route.prefix("/").to("orders"))
                    .build();
            self.set(gateway);
            gateway.start();
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/x")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
                assertThat(r.body()).contains("no-healthy-endpoint");
                assertThat(gateway.upstream("orders").noneAvailable()).isTrue();
                assertThat(backend.requests()).isEmpty();
            } finally {
                gateway.close();
            }
        }
    }
}
