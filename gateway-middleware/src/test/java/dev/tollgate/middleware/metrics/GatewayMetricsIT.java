package dev.tollgate.middleware.metrics;

import dev.tollgate.Gateway;
import dev.tollgate.observe.BreakerState;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.StaleBackend;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.HealthCheck;
import dev.tollgate.upstream.Upstream;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Known traffic through a real gateway, then a real scrape: the counts per route, method, status
 * class and outcome match what was sent, the exposition parses as Prometheus text, and no raw path
 * becomes a label.
 */
class GatewayMetricsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String REQUESTS = "tollgate_requests_seconds_count";
    private static final String ATTEMPTS = "tollgate_upstream_attempts_seconds_count";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final TestBackend backend = TestBackend.start("b");
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        backend.close();
        registry.close();
    }

    private Gateway start(Gateway.Builder b) {
        Gateway g = b.build().start();
        closing.add(0, g);
        return g;
    }

    private Gateway.Builder gateway(boolean adminPort) {
        Gateway.Builder b = Gateway.builder().host("127.0.0.1").port(0)
                // one attempt per request and no breaker: the 503s are counted, not retried or cut off
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()).retry(dev.tollgate.resilience.RetryPolicy.none()).circuitBreaker(dev.tollgate.resilience.CircuitBreakerPolicy.disabled()))
                .listener(GatewayMetrics.of(registry))
                .adminRoute("/metrics", PrometheusScrape.of(registry))
                .route(Route.prefix("/a").id("a").to("b"))
                .route(Route.prefix("/status").id("b").to("b"))
                .route(Route.prefix("/delay").id("slow").to("b"));
        return adminPort ? b.adminPort(0) : b;
    }

    private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
        return client.send(r.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)));
    }

    private PrometheusText scrape(int port) throws Exception {
        HttpResponse<String> r = get(port, "/metrics");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        return PrometheusText.parse(r.body());
    }

    @Test
    void requestCountsMatchTheTrafficByRouteMethodStatusAndOutcome() throws Exception {
        Gateway g = start(gateway(true));
        for (int i = 0; i < 7; i++) {
            assertThat(get(g.port(), "/a/item/" + i).statusCode()).isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(get(g.port(), "/status/503").statusCode()).isEqualTo(503);
        }
        assertThat(get(g.port(), "/nothing/4711").statusCode()).isEqualTo(404);
        assertThat(get(g.port(), "/nothing/4712").statusCode()).isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/a/new"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))).statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/a/odd"))
                .method("PROPFIND", HttpRequest.BodyPublishers.noBody())).statusCode()).isEqualTo(200);

        // the completion event follows the last byte: the client may read it first
        Await.untilAsserted(() -> assertThat(scrape(g.adminPort()).value(REQUESTS, "route", "none")).isEqualTo(2), TIMEOUT);
        PrometheusText m = scrape(g.adminPort());
        assertThat(m.value(REQUESTS, "route", "a", "method", "GET", "status", "2xx", "outcome", "response")).isEqualTo(7);
        assertThat(m.value(REQUESTS, "route", "a", "method", "POST", "status", "2xx", "outcome", "response")).isEqualTo(1);
        assertThat(m.value(REQUESTS, "route", "a", "method", "OTHER", "status", "2xx", "outcome", "response")).isEqualTo(1);
        assertThat(m.value(REQUESTS, "route", "b", "method", "GET", "status", "5xx", "outcome", "response")).isEqualTo(3);
        assertThat(m.value(REQUESTS, "route", "none", "method", "GET", "status", "4xx", "outcome", "local")).isEqualTo(2);
        assertThat(m.find(REQUESTS)).hasSize(5);

        String endpoint = "127.0.0.1:" + backend.port();
        assertThat(m.value(ATTEMPTS, "upstream", "b", "endpoint", endpoint, "outcome", "response", "status", "2xx")).isEqualTo(9);
        assertThat(m.value(ATTEMPTS, "upstream", "b", "endpoint", endpoint, "outcome", "response", "status", "5xx")).isEqualTo(3);
        assertThat(m.value("tollgate_upstream_retries_total", "upstream", "b")).isZero();

        // histograms: fixed buckets, cumulative, +Inf equal to the count
        assertThat(m.type("tollgate_requests_seconds")).isEqualTo("histogram");
        List<PrometheusText.Sample> buckets = m.find("tollgate_requests_seconds_bucket", "route", "a", "method", "GET");
        assertThat(buckets).hasSize(13);
        for (int i = 1; i < buckets.size(); i++) {
            assertThat(buckets.get(i).value()).isGreaterThanOrEqualTo(buckets.get(i - 1).value());
        }
        assertThat(buckets.get(buckets.size() - 1).labels()).containsEntry("le", "+Inf");
        assertThat(buckets.get(buckets.size() - 1).value()).isEqualTo(7);
        assertThat(m.value("tollgate_requests_seconds_sum", "route", "a", "method", "GET")).isPositive();

        // no raw path, query or ID ever becomes a label value
        Set<String> routeValues = ConcurrentHashMap.newKeySet();
        for (PrometheusText.Sample s : m.samples()) {
            assertThat(String.join(" ", s.labels().values())).doesNotContain("4711", "item", "nothing");
            if (s.labels().containsKey("route")) {
                routeValues.add(s.labels().get("route"));
            }
        }
        assertThat(routeValues).containsExactlyInAnyOrder("a", "b", "none");
    }

    @Test
    void onTheMainPortTheScrapeIsServedAheadOfRoutingAndSeesItself() throws Exception {
        Gateway g = start(gateway(false));
        assertThat(get(g.port(), "/a/x").statusCode()).isEqualTo(200);
        Await.untilAsserted(() -> assertThat(scrape(g.port()).value(REQUESTS, "route", "a")).isEqualTo(1), TIMEOUT);
        PrometheusText m = scrape(g.port());
        // the scrape in progress is the one active request
        assertThat(m.value("tollgate_requests_active")).isEqualTo(1);
        assertThat(backend.requests()).extracting(r -> r.path()).containsExactly("/a/x");
    }

    @Test
    void activeRequestsAndOpenConnectionsAreGauges() throws Exception {
        Gateway g = start(gateway(true));
        assertThat(scrape(g.adminPort()).value("tollgate_requests_active")).isZero();
        CompletableFuture<HttpResponse<String>> slow = client.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + g.port() + "/delay/1500")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        Await.untilAsserted(() -> assertThat(scrape(g.adminPort()).value("tollgate_requests_active")).isEqualTo(1), TIMEOUT);
        assertThat(slow.get().statusCode()).isEqualTo(200);
        Await.untilAsserted(() -> assertThat(scrape(g.adminPort()).value("tollgate_requests_active")).isZero(), TIMEOUT);

        double before = scrape(g.adminPort()).value("tollgate_connections_open");
        try (RawHttp a = RawHttp.connect(g.port()); RawHttp b = RawHttp.connect(g.port()); RawHttp c = RawHttp.connect(g.port())) {
            Await.untilAsserted(() -> assertThat(scrape(g.adminPort()).value("tollgate_connections_open"))
                    .isEqualTo(before + 3), TIMEOUT);
        }
        Await.untilAsserted(() -> assertThat(scrape(g.adminPort()).value("tollgate_connections_open")).isEqualTo(before), TIMEOUT);
    }

    @Test
    void aReplayedAttemptCountsAsARetry() throws Exception {
        // a backend that closes every connection on its second request: the gateway's pooled
        // connection is dead when the next request takes it, and the request goes again on a fresh one
        try (StaleBackend stale = StaleBackend.start()) {
            Gateway g = start(Gateway.builder().host("127.0.0.1").port(0).adminPort(0)
                    .upstream(Upstream.builder("s").endpoint(stale.backend().uri().toString()))
                    .listener(GatewayMetrics.of(registry))
                    .adminRoute("/metrics", PrometheusScrape.of(registry))
                    .route(Route.prefix("/").id("all").to("s")));
            assertThat(get(g.port(), "/one").statusCode()).isEqualTo(200);
            stale.killReusedConnections(true);
            assertThat(get(g.port(), "/two").statusCode()).isEqualTo(200);
            Await.untilAsserted(() -> assertThat(scrape(g.adminPort()).value(REQUESTS, "route", "all")).isEqualTo(2), TIMEOUT);
            PrometheusText m = scrape(g.adminPort());
            String endpoint = "127.0.0.1:" + stale.backend().port();
            assertThat(stale.connectionsSeen()).isEqualTo(2); // the replay went over a fresh connection
            assertThat(m.value("tollgate_upstream_retries_total", "upstream", "s")).isEqualTo(1);
            assertThat(m.value(ATTEMPTS, "upstream", "s", "endpoint", endpoint, "outcome", "upstream_reset", "status", "none"))
                    .isEqualTo(1);
            assertThat(m.value(ATTEMPTS, "upstream", "s", "endpoint", endpoint, "outcome", "response", "status", "2xx"))
                    .isEqualTo(2);
        }
    }

    @Test
    void canarySidesAndMirrorCopiesAreCounted() throws Exception {
        Gateway g = start(Gateway.builder().host("127.0.0.1").port(0).adminPort(0)
                .upstream(Upstream.builder("stable").endpoint(backend.uri().toString()))
                .upstream(Upstream.builder("canary").endpoint(backend.uri().toString()))
                .upstream(Upstream.builder("shadow").endpoint(backend.uri().toString()))
                .listener(GatewayMetrics.of(registry))
                .adminRoute("/metrics", PrometheusScrape.of(registry))
                .route(Route.prefix("/shop").id("shop").split(dev.tollgate.route.Split.weighted()
                        .to("stable", dev.tollgate.route.Split.MAX_WEIGHT).to("canary", 1).force(dev.tollgate.route.ForceBy.header("X-Canary"))))
                .route(Route.prefix("/copy").id("copy").to("stable").mirror(dev.tollgate.route.Mirror.to("shadow"))));
        for (int i = 0; i < 4; i++) {
            assertThat(get(g.port(), "/shop/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/shop/x"))
                .header("X-Canary", "canary")).statusCode()).isEqualTo(200);
        for (int i = 0; i < 3; i++) {
            assertThat(get(g.port(), "/copy/" + i).statusCode()).isEqualTo(200);
        }
        Await.untilAsserted(() -> {
            PrometheusText m = scrape(g.adminPort());
            assertThat(m.value("tollgate_split_requests_total", "route", "shop", "upstream", "stable", "reason", "weight"))
                    .isEqualTo(4);
            assertThat(m.value("tollgate_split_requests_total", "route", "shop", "upstream", "canary", "reason", "forced"))
                    .isEqualTo(1);
            assertThat(m.value("tollgate_mirror_requests_total", "upstream", "shadow", "result", "sent")).isEqualTo(3);
        }, TIMEOUT);
    }

    @Test
    void healthChangesFromRealChecksAreCounted() throws Exception {
        Gateway g = start(Gateway.builder().host("127.0.0.1").port(0).adminPort(0)
                .upstream(Upstream.builder("h").endpoint(backend.uri().toString())
                        .healthCheck(HealthCheck.http("/status/503").interval(Duration.ofMillis(200)).timeout(Duration.ofMillis(200))))
                .listener(GatewayMetrics.of(registry))
                .adminRoute("/metrics", PrometheusScrape.of(registry))
                .route(Route.prefix("/").to("h")));
        String endpoint = "127.0.0.1:" + backend.port();
        Await.untilAsserted(() -> {
            PrometheusText m = scrape(g.adminPort());
            assertThat(m.value("tollgate_endpoint_health_changes_total", "upstream", "h", "endpoint", endpoint,
                    "available", "false")).isEqualTo(1);
            assertThat(m.value("tollgate_endpoint_available", "upstream", "h", "endpoint", endpoint)).isZero();
        }, TIMEOUT);
    }

    @Test
    void breakerAndRateLimitEventsBecomeCountersAndAStateGauge() throws Exception {
        // their producers (circuit breakers, rate limiting) are separate components: the events are sent here directly
        GatewayMetrics metrics = GatewayMetrics.of(registry);
        Endpoint e = Endpoint.of("http://10.0.0.7:8080");
        metrics.breakerStateChanged("orders", e, BreakerState.CLOSED, BreakerState.OPEN);
        metrics.breakerStateChanged("orders", e, BreakerState.OPEN, BreakerState.HALF_OPEN);
        metrics.breakerStateChanged("orders", null, BreakerState.CLOSED, BreakerState.OPEN);
        for (int i = 0; i < 4; i++) {
            metrics.rateLimitDecided(null, "per-user", i < 3, 2 - Math.min(i, 2));
        }
        PrometheusText m = PrometheusText.parse(registry.scrape());
        assertThat(m.value("tollgate_breaker_transitions_total", "upstream", "orders", "endpoint", "10.0.0.7:8080",
                "from", "closed", "to", "open")).isEqualTo(1);
        assertThat(m.value("tollgate_breaker_transitions_total", "upstream", "orders", "endpoint", "all",
                "from", "closed", "to", "open")).isEqualTo(1);
        assertThat(m.value("tollgate_breaker_state", "upstream", "orders", "endpoint", "10.0.0.7:8080")).isEqualTo(2);
        assertThat(m.value("tollgate_breaker_state", "upstream", "orders", "endpoint", "all")).isEqualTo(1);
        assertThat(m.value("tollgate_ratelimit_decisions_total", "policy", "per-user", "decision", "allowed")).isEqualTo(3);
        assertThat(m.value("tollgate_ratelimit_decisions_total", "policy", "per-user", "decision", "rejected")).isEqualTo(1);
    }

    @Test
    void theScrapeNegotiatesOpenMetricsAndRefusesOtherMethods() throws Exception {
        Gateway g = start(gateway(true));
        HttpResponse<String> om = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.adminPort() + "/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0,text/plain;q=0.5"));
        assertThat(om.statusCode()).isEqualTo(200);
        assertThat(om.headers().firstValue("Content-Type")).contains("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertThat(om.body()).contains("tollgate_requests_active").endsWith("# EOF\n");

        HttpResponse<String> head = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.adminPort() + "/metrics"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length").orElse(0)).isPositive();

        HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.adminPort() + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")));
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
        assertThat(post.body()).contains("method-not-allowed");
    }

    @Test
    void bucketsAreValidated() {
        assertThatThrownBy(() -> GatewayMetrics.builder(registry).buckets())
                .hasMessage("metrics.buckets: none (expected: at least one bound)");
        assertThatThrownBy(() -> GatewayMetrics.builder(registry).buckets(Duration.ZERO))
                .hasMessage("metrics.buckets: PT0S (expected: > 0)");
        assertThatThrownBy(() -> GatewayMetrics.builder(registry).buckets(Duration.ofSeconds(1), Duration.ofMillis(10)))
                .hasMessage("metrics.buckets: PT0.01S after PT1S (expected: increasing)");
    }

    @Test
    void customBucketsAreTheLeLabels() throws Exception {
        Gateway g = start(Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .listener(GatewayMetrics.builder(registry).buckets(Duration.ofMillis(100), Duration.ofSeconds(1)).build())
                .route(Route.prefix("/").id("r").to("b")));
        assertThat(get(g.port(), "/x").statusCode()).isEqualTo(200);
        Await.untilAsserted(() -> assertThat(PrometheusText.parse(registry.scrape())
                .find("tollgate_requests_seconds_bucket", "route", "r"))
                .extracting(s -> s.labels().get("le")).containsExactly("0.1", "1.0", "+Inf"), TIMEOUT);
    }
}
