package dev.tollgate.resilience;

import dev.tollgate.Gateway;
import dev.tollgate.observe.BreakerState;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.FaultProxy;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.LoadBalancer;
import dev.tollgate.upstream.OutlierDetection;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tollgate.resilience.Fixture.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Circuit breakers: thresholds, open time, half-open probes, events, per-route and per-endpoint breakers. */
class CircuitBreakerIT {

    private final Fixture f = new Fixture();

    @AfterEach
    void close() throws Exception {
        f.close();
    }

    private Gateway gateway(Upstream.Builder upstream, Route.Builder... routes) {
        Gateway.Builder b = Gateway.builder().upstream(upstream.retry(RetryPolicy.none())
                .outlierDetection(OutlierDetection.disabled()));
        if (routes.length == 0) {
            b.route(Route.prefix("/").to("u"));
        }
        for (Route.Builder r : routes) {
            b.route(r);
        }
        return f.start(b);
    }

    @Test
    void consecutiveFailuresOpenTheBreakerAndItAnswersWithoutTheNetwork() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> 503);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri())
                .circuitBreaker(CircuitBreakerPolicy.builder().failureThreshold(3).openFor(Duration.ofSeconds(30))));
        for (int i = 0; i < 3; i++) {
            assertThat(f.get(g, "/x").body()).startsWith("a:");
        }
        HttpResponse<String> open = f.get(g, "/x");
        assertProblem(open, 503, "circuit-open");
        assertThat(open.headers().firstValue("Retry-After").map(Integer::parseInt).orElseThrow()).isBetween(1, 30);
        assertThat(count.get()).isEqualTo(3);
        assertThat(f.transitions).containsExactly(new Fixture.Transition("u", null, BreakerState.CLOSED, BreakerState.OPEN));
    }

    @Test
    void successesInBetweenKeepACountBasedBreakerClosed() throws Exception {
        AtomicInteger count = new AtomicInteger();
        // two failures, one success, over and over: never three failures in a row
        TestBackend a = f.backend("a", count, n -> n % 3 == 2 ? 0 : 503);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri())
                .circuitBreaker(CircuitBreakerPolicy.builder().failureThreshold(3)));
        for (int i = 0; i < 12; i++) {
            assertThat(f.get(g, "/x").body()).startsWith("a:");
        }
        assertThat(f.transitions).isEmpty();
    }

    @Test
    void aFailureRateOpensOnlyOnceTheMinimumOfCallsWasSeen() throws Exception {
        AtomicInteger count = new AtomicInteger();
        // 6 of every 10 fail, the failures first
        TestBackend a = f.backend("a", count, n -> n % 10 < 6 ? 502 : 0);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri())
                .circuitBreaker(CircuitBreakerPolicy.builder().failureRate(50, 10, Duration.ofSeconds(30))));
        for (int i = 0; i < 9; i++) {
            f.get(g, "/x");
        }
        // six failures in a row so far, yet below the minimum of 10 calls: still closed
        assertThat(f.transitions).isEmpty();
        f.get(g, "/x");
        assertThat(f.transitions).extracting(Fixture.Transition::to).containsExactly(BreakerState.OPEN);
        assertProblem(f.get(g, "/x"), 503, "circuit-open");
        assertThat(count.get()).isEqualTo(10);
    }

    @Test
    void halfOpenLetsALimitedNumberOfProbesThroughThenCloses() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        AtomicInteger count = new AtomicInteger();
        AtomicInteger holding = new AtomicInteger();
        TestBackend a = f.track(TestBackend.start("a", ex -> {
            count.incrementAndGet();
            if (failing.get()) {
                ex.setStatusCode(503);
                ex.endExchange();
                return;
            }
            // recovered, but slow: the probes are all in flight together
            holding.incrementAndGet();
            ex.dispatch(() -> ex.getIoThread().executeAfter(ex::endExchange, 700, TimeUnit.MILLISECONDS));
        }));
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()).circuitBreaker(CircuitBreakerPolicy.builder()
                .failureThreshold(2).openFor(Duration.ofMillis(300)).halfOpenProbes(2)));
        f.get(g, "/x");
        f.get(g, "/x");
        assertProblem(f.get(g, "/x"), 503, "circuit-open");
        failing.set(false);
        Thread.sleep(400); // the open time must pass; nothing to await on the gateway's side
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            burst.add(f.client.sendAsync(HttpRequest.newBuilder(Fixture.uri(g, "/x")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> r : burst) {
            int status = r.get().statusCode();
            if (status == 200) {
                ok++;
            } else if (status == 503 && r.get().body().contains("circuit-open")) {
                refused++;
            }
        }
        assertThat(holding.get()).isEqualTo(2);
        assertThat(ok).isEqualTo(2);
        assertThat(refused).isEqualTo(4);
        assertThat(f.transitions).extracting(Fixture.Transition::to)
                .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED);
        assertThat(f.get(g, "/x").statusCode()).isEqualTo(200);
    }

    @Test
    void aFailedProbeOpensTheBreakerAgain() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> 503);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()).circuitBreaker(CircuitBreakerPolicy.builder()
                .failureThreshold(1).openFor(Duration.ofMillis(200))));
        f.get(g, "/x");
        assertProblem(f.get(g, "/x"), 503, "circuit-open");
        Await.untilAsserted(() -> assertThat(f.get(g, "/x").body()).startsWith("a:"), Duration.ofSeconds(3));
        assertThat(f.transitions).extracting(Fixture.Transition::to)
                .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.OPEN);
        assertThat(count.get()).isEqualTo(2);
    }

    @Test
    void aRouteWithItsOwnBreakerDoesNotShareTheUpstreams() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> 503);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()).circuitBreaker(CircuitBreakerPolicy.disabled()),
                Route.prefix("/strict").to("u").circuitBreaker(CircuitBreakerPolicy.builder().failureThreshold(1)),
                Route.prefix("/").to("u"));
        assertThat(f.get(g, "/strict").statusCode()).isEqualTo(503);
        assertProblem(f.get(g, "/strict"), 503, "circuit-open");
        for (int i = 0; i < 5; i++) {
            assertThat(f.get(g, "/lenient").body()).startsWith("a:");
        }
        assertThat(count.get()).isEqualTo(6);
    }

    @Test
    void anEndpointBreakerTakesOneEndpointOutAndTheOthersServe() throws Exception {
        TestBackend a = f.track(TestBackend.start("a"));
        TestBackend b = f.track(TestBackend.start("b"));
        FaultProxy fa = f.track(FaultProxy.start(a.port())).mode(FaultProxy.Mode.RESET);
        Gateway g = gateway(Upstream.builder("u").endpoint(fa.uri()).endpoint(b.uri()).loadBalancer(LoadBalancer.roundRobin())
                .circuitBreaker(CircuitBreakerPolicy.disabled())
                .endpointCircuitBreaker(CircuitBreakerPolicy.builder().failureThreshold(2).openFor(Duration.ofSeconds(30))));
        int failed = 0;
        for (int i = 0; i < 12; i++) {
            if (f.get(g, "/x").statusCode() != 200) {
                failed++;
            }
        }
        assertThat(failed).isEqualTo(2);
        assertThat(fa.connectionsAccepted()).isEqualTo(2);
        assertThat(f.transitions).singleElement().satisfies(t -> {
            assertThat(t.endpoint().port()).isEqualTo(fa.port());
            assertThat(t.to()).isEqualTo(BreakerState.OPEN);
        });
    }

    @Test
    void policyValidationAndDefaults() {
        CircuitBreakerPolicy d = CircuitBreakerPolicy.ofDefaults();
        assertThat(d.failureThreshold()).isEqualTo(5);
        assertThat(d.openFor()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.halfOpenProbes()).isEqualTo(1);
        assertThat(d.failureStatuses()).containsExactly(502, 503, 504);
        assertThat(d.isFailure(dev.tollgate.observe.AttemptOutcome.RESPONSE, 500)).isFalse();
        assertThat(d.isFailure(dev.tollgate.observe.AttemptOutcome.CONNECT_FAILED, 0)).isTrue();
        assertThat(d.isFailure(dev.tollgate.observe.AttemptOutcome.CLIENT_ABORTED, 0)).isFalse();
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().failureThreshold(0))
                .hasMessage("circuitBreaker.failureThreshold: 0 (expected: >= 1)");
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().failureRate(101, 10, Duration.ofSeconds(1)))
                .hasMessage("circuitBreaker.failureRate: 101 (expected: 1..100)");
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().halfOpenProbes(0))
                .hasMessage("circuitBreaker.halfOpenProbes: 0 (expected: >= 1)");
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().openFor(Duration.ZERO))
                .hasMessage("circuitBreaker.openFor: PT0S (expected: >= 1ms)");
    }
}
