package dev.tollgate.upstream;

import dev.tollgate.Gateway;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.resilience.RetryPolicy;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import io.undertow.server.HttpHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Active health checks, passive outlier detection and health-based routing through a real gateway. */
class HealthIT {

    private final List<AutoCloseable> resources = new ArrayList<>();
    private HttpClient client;

    @BeforeEach
    void setUp() {
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T r) {
        resources.add(r);
        return r;
    }

    /** A backend whose /health answers {@code health}'s value and whose other paths answer {@code status}'s. */
    private TestBackend backend(String name, AtomicInteger health, AtomicInteger status) {
        HttpHandler h = exchange -> {
            exchange.setStatusCode(exchange.getRequestPath().equals("/health") ? health.get() : status.get());
            exchange.getResponseSender().send(name);
        };
        return track(TestBackend.start(name, h));
    }

    private Gateway gateway(Upstream.Builder upstream, GatewayListener listener) {
        Gateway.Builder b = Gateway.builder().host("127.0.0.1").port(0).ioThreads(2)
                .upstream(upstream).route(Route.prefix("/").to(upstream.build().name()));
        if (listener != null) {
            b.listener(listener);
        }
        return track(b.build().start());
    }

    private HttpResponse<String> get(Gateway g, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path))
                .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void failingCheckTakesEndpointOutWithinIntervalTimesThresholdAndPassingBringsItBack() throws Exception {
        AtomicInteger healthA = new AtomicInteger(200);
        TestBackend a = backend("a", healthA, new AtomicInteger(200));
        TestBackend b = backend("b", new AtomicInteger(200), new AtomicInteger(200));
        List<String> events = new CopyOnWriteArrayList<>();
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()).endpoint(b.uri()).loadBalancer(LoadBalancer.roundRobin())
                .healthCheck(HealthCheck.http("/health").interval(Duration.ofMillis(100)).timeout(Duration.ofMillis(100))
                        .unhealthyThreshold(3).healthyThreshold(2)),
                new GatewayListener() {
                    @Override
                    public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
                        events.add(upstream + " " + endpoint.port() + " " + available + " " + reason);
                    }
                });
        // both take traffic before any check
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(get(g, "/x").body());
        }
        assertThat(seen).contains("a", "b");

        long failedAt = System.nanoTime();
        healthA.set(500);
        Await.until(() -> g.upstream("u").availableCount() == 1, Duration.ofSeconds(3), "a to turn unhealthy");
        // 3 checks at 100 ms (+10% jitter), plus a round in flight and scheduling slack
        assertThat(Duration.ofNanos(System.nanoTime() - failedAt)).isLessThan(Duration.ofMillis(900));
        assertThat(g.upstream("u").availableEndpoints()).extracting(Endpoint::port).containsExactly(b.port());
        for (int i = 0; i < 10; i++) {
            assertThat(get(g, "/x").body()).isEqualTo("b");
        }
        assertThat(events).anySatisfy(e -> assertThat(e).startsWith("u " + a.port() + " false health check failed 3 time(s) in a row: status 500"));

        healthA.set(204);
        Await.until(() -> g.upstream("u").availableCount() == 2, Duration.ofSeconds(3), "a to be healthy again");
        seen.clear();
        for (int i = 0; i < 4; i++) {
            seen.add(get(g, "/x").body());
        }
        assertThat(seen).contains("a", "b");
        assertThat(events).anySatisfy(e -> assertThat(e).startsWith("u " + a.port() + " true health check passed 2"));
    }

    @Test
    void activeChecksRunWhenTheHandlerIsMountedInAHostsUndertow() throws Exception {
        AtomicInteger healthA = new AtomicInteger(200);
        TestBackend a = backend("a", healthA, new AtomicInteger(200));
        TestBackend b = backend("b", new AtomicInteger(200), new AtomicInteger(200));
        Gateway g = Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(a.uri()).endpoint(b.uri()).loadBalancer(LoadBalancer.roundRobin())
                        .healthCheck(HealthCheck.http("/health").interval(Duration.ofMillis(200)).timeout(Duration.ofMillis(200))
                                .unhealthyThreshold(2).healthyThreshold(1)))
                .route(Route.prefix("/").to("u"))
                .build();
        io.undertow.Undertow host = io.undertow.Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(g.handler()).build();
        host.start();
        try {
            int port = ((java.net.InetSocketAddress) host.getListenerInfo().get(0).getAddress()).getPort();
            healthA.set(503);
            Await.until(() -> g.upstream("u").availableCount() == 1, Duration.ofSeconds(5), "the mounted gateway's check to take a out");
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/x")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).isEqualTo("b");
            }
            healthA.set(200);
            Await.until(() -> g.upstream("u").availableCount() == 2, Duration.ofSeconds(5), "a to come back");
        } finally {
            g.close();
            host.stop();
        }
        assertThatThrownBy(g::handler).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("gateway is closed");
    }

    @Test
    void consecutive5xxEjectAndTheEndpointReturnsAfterTheEjectionTime() throws Exception {
        AtomicInteger statusA = new AtomicInteger(503);
        TestBackend a = backend("a", new AtomicInteger(200), statusA);
        TestBackend b = backend("b", new AtomicInteger(200), new AtomicInteger(200));
        // without retries: each 503 of a reaches the client, which is what this test counts
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()).endpoint(b.uri()).loadBalancer(LoadBalancer.roundRobin())
                .retry(RetryPolicy.none())
                .outlierDetection(OutlierDetection.builder().consecutive5xx(3).baseEjectionTime(Duration.ofMillis(300))
                        .maxEjectionPercent(50)), null);
        int fromA = 0;
        for (int i = 0; i < 6; i++) {
            if (get(g, "/x").statusCode() == 503) {
                fromA++;
            }
        }
        assertThat(fromA).isEqualTo(3);
        assertThat(g.upstream("u").availableEndpoints()).extracting(Endpoint::port).containsExactly(b.port());
        for (int i = 0; i < 5; i++) {
            assertThat(get(g, "/x").body()).isEqualTo("b");
        }
        statusA.set(200);
        Await.until(() -> g.upstream("u").availableCount() == 2, Duration.ofSeconds(3), "a to return");
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(get(g, "/x").body());
        }
        assertThat(seen).contains("a", "b");
    }

    @Test
    void atMostTheMaxEjectionPercentIsEjectedAtOnce() throws Exception {
        Upstream.Builder u = Upstream.builder("u").loadBalancer(LoadBalancer.roundRobin())
                .outlierDetection(OutlierDetection.builder().consecutive5xx(2).baseEjectionTime(Duration.ofSeconds(30)));
        for (int i = 0; i < 10; i++) {
            u.endpoint(backend("b" + i, new AtomicInteger(200), new AtomicInteger(500)).uri());
        }
        Gateway g = gateway(u, null);
        for (int i = 0; i < 60; i++) {
            assertThat(get(g, "/x").statusCode()).isEqualTo(500);
        }
        // every endpoint failed often enough, but 10% of 10 is one
        assertThat(g.upstream("u").availableCount()).isEqualTo(9);
    }

    @Test
    void connectFailuresEjectAfterTheConfiguredCount() throws Exception {
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        TestBackend b = backend("b", new AtomicInteger(200), new AtomicInteger(200));
        List<String> events = new CopyOnWriteArrayList<>();
        Gateway g = gateway(Upstream.builder("u").endpoint("http://127.0.0.1:" + deadPort).endpoint(b.uri())
                .loadBalancer(LoadBalancer.roundRobin())
                .outlierDetection(OutlierDetection.builder().consecutiveGatewayFailures(2).maxEjectionPercent(50)),
                new GatewayListener() {
                    @Override
                    public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
                        events.add(endpoint.port() + " " + available + " " + reason);
                    }
                });
        for (int i = 0; i < 4; i++) {
            get(g, "/x");
        }
        assertThat(g.upstream("u").availableEndpoints()).extracting(Endpoint::port).containsExactly(b.port());
        assertThat(events).singleElement().asString()
                .startsWith(deadPort + " false ejected for PT30S after 2 consecutive gateway failures (last: CONNECT_FAILED)");
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = get(g, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("b");
        }
    }

    @Test
    void ejectionTimeIsBaseTimesEjectionCountCappedAtMax() {
        List<String> reasons = new CopyOnWriteArrayList<>();
        UpstreamPool pool = new UpstreamPool(Upstream.builder("u").endpoint("http://a:1").endpoint("http://b:1")
                .outlierDetection(OutlierDetection.builder().consecutive5xx(2).maxEjectionPercent(50)
                        .baseEjectionTime(Duration.ofMillis(100)).maxEjectionTime(Duration.ofMillis(150))).build(),
                s -> { }, new GatewayListener() {
                    @Override
                    public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
                        reasons.add(endpoint.host() + " " + available + " " + reason);
                    }
                });
        Endpoint a = Endpoint.of("http://a:1");
        pool.recordOutcome(a, dev.tollgate.observe.AttemptOutcome.RESPONSE, 500);
        pool.recordOutcome(a, dev.tollgate.observe.AttemptOutcome.RESPONSE, 200); // a success resets the count
        pool.recordOutcome(a, dev.tollgate.observe.AttemptOutcome.RESPONSE, 500);
        assertThat(pool.availableCount()).isEqualTo(2);
        pool.recordOutcome(a, dev.tollgate.observe.AttemptOutcome.RESPONSE, 502);
        assertThat(pool.availableCount()).isEqualTo(1);
        Await.until(() -> pool.availableCount() == 2, Duration.ofSeconds(2), "a to return");
        pool.recordOutcome(a, dev.tollgate.observe.AttemptOutcome.UPSTREAM_RESET, 0);
        pool.recordOutcome(a, dev.tollgate.observe.AttemptOutcome.RESPONSE, 503);
        pool.recordOutcome(a, dev.tollgate.observe.AttemptOutcome.RESPONSE, 503);
        assertThat(pool.availableCount()).isEqualTo(1);
        assertThat(reasons).containsExactly(
                "a false ejected for PT0.1S after 2 consecutive 5xx responses",
                "a true ejection time over",
                "a false ejected for PT0.15S after 2 consecutive 5xx responses");
    }

    @Test
    void noneHealthyFailsFastWith503OrPanicsOverAll() throws Exception {
        AtomicInteger health = new AtomicInteger(500);
        TestBackend a = backend("a", health, new AtomicInteger(200));
        HealthCheck.Builder check = HealthCheck.http("/health").interval(Duration.ofMillis(50)).timeout(Duration.ofMillis(50))
                .unhealthyThreshold(1);
        Gateway fast = gateway(Upstream.builder("u").endpoint(a.uri()).healthCheck(check).whenNoneHealthy(NoneHealthy.FAIL_FAST), null);
        // PANIC is the default
        Gateway panic = gateway(Upstream.builder("p").endpoint(a.uri()).healthCheck(check), null);
        Await.until(() -> fast.upstream("u").noneAvailable() && panic.upstream("p").noneAvailable(),
                Duration.ofSeconds(3), "the only endpoint to turn unhealthy");

        HttpResponse<String> r = get(fast, "/x");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"no-healthy-endpoint\"");

        HttpResponse<String> p = get(panic, "/x");
        assertThat(p.statusCode()).isEqualTo(200);
        assertThat(p.body()).isEqualTo("a");
    }

    @Test
    void readyTurns503WhenEveryEndpointOfARequiredUpstreamIsUnhealthy() throws Exception {
        AtomicInteger health = new AtomicInteger(200);
        TestBackend a = backend("a", health, new AtomicInteger(200));
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri())
                .healthCheck(HealthCheck.http("/health").interval(Duration.ofMillis(50)).timeout(Duration.ofMillis(50))
                        .unhealthyThreshold(1).healthyThreshold(1)), null);
        assertThat(get(g, "/ready").statusCode()).isEqualTo(200);
        health.set(503);
        Await.untilAsserted(() -> {
            HttpResponse<String> r = get(g, "/ready");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("\"u\":{\"reachable\":0");
        }, Duration.ofSeconds(5));
        health.set(200);
        Await.untilAsserted(() -> assertThat(get(g, "/ready").statusCode()).isEqualTo(200), Duration.ofSeconds(5));
    }

    @Test
    void specsFailFastWithTheHouseMessages() {
        assertThatThrownBy(() -> HealthCheck.http("health"))
                .hasMessage("healthCheck.path: 'health' (expected: an absolute path such as /health)");
        assertThatThrownBy(() -> HealthCheck.http("/h").healthyThreshold(0))
                .hasMessage("healthCheck.healthyThreshold: 0 (expected: 1..100)");
        assertThatThrownBy(() -> HealthCheck.http("/h").expectedStatuses(700))
                .hasMessage("healthCheck.expectedStatuses: 700 (expected: 100..599)");
        assertThatThrownBy(() -> HealthCheck.http("/h").interval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(1)).build())
                .hasMessage("healthCheck.timeout: PT1S is longer than the interval PT0.1S (expected: <= interval)");
        assertThatThrownBy(() -> OutlierDetection.builder().maxEjectionPercent(0))
                .hasMessage("outlierDetection.maxEjectionPercent: 0 (expected: 1..100)");
        assertThatThrownBy(() -> OutlierDetection.builder().maxEjectionTime(Duration.ofSeconds(1)).build())
                .hasMessage("outlierDetection.maxEjectionTime: PT1S is shorter than baseEjectionTime PT30S (expected: >= base)");

        OutlierDetection d = OutlierDetection.ofDefaults();
        assertThat(d.consecutive5xx()).isEqualTo(5);
        assertThat(d.consecutiveGatewayFailures()).isEqualTo(5);
        assertThat(d.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.maxEjectionTime()).isEqualTo(Duration.ofSeconds(300));
        assertThat(d.maxEjectionPercent()).isEqualTo(10);
        HealthCheck hc = HealthCheck.http("/health").build();
        assertThat(hc.interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(hc.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(hc.expects(200)).isTrue();
        assertThat(hc.expects(399)).isTrue();
        assertThat(hc.expects(400)).isFalse();
        Upstream u = Upstream.builder("x").endpoint("http://x").build();
        assertThat(u.outlierDetection()).isSameAs(OutlierDetection.ofDefaults());
        assertThat(u.whenNoneHealthy()).isEqualTo(NoneHealthy.PANIC);
        assertThat(u.healthCheck()).isEmpty();
    }
}
