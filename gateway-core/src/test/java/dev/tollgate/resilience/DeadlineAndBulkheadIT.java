package dev.tollgate.resilience;

import dev.tollgate.Gateway;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.FaultProxy;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.tollgate.resilience.Fixture.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The route deadline (504 deadline-exceeded, timed-out connections closed) and the bulkhead (fast 503). */
class DeadlineAndBulkheadIT {

    private final Fixture f = new Fixture();

    @AfterEach
    void close() throws Exception {
        f.close();
    }

    @Test
    void theDeadlineEndsRetriesWith504AndTheConnectionIsNotReused() throws Exception {
        TestBackend a = f.track(TestBackend.start("a"));
        FaultProxy fa = f.track(FaultProxy.start(a.port()));
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(fa.uri()).circuitBreaker(CircuitBreakerPolicy.disabled()))
                .route(Route.prefix("/").to("u").perTryTimeout(Duration.ofMillis(300)).deadline(Duration.ofMillis(500))));
        HttpResponse<String> r = f.get(g, "/delay/3000");
        assertProblem(r, 504, "deadline-exceeded");
        assertThat(f.attempts).extracting(Fixture.Attempt::outcome)
                .containsExactly(AttemptOutcome.RESPONSE_TIMEOUT, AttemptOutcome.RESPONSE_TIMEOUT);
        Await.until(() -> fa.openConnections() == 0, "both timed-out connections to close");
        long accepted = fa.connectionsAccepted();
        assertThat(accepted).isEqualTo(2);
        // the late answers never serve the next request: it gets a fresh connection
        HttpResponse<String> next = f.get(g, "/echo");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.body()).contains("\"path\":\"/echo\"");
        assertThat(fa.connectionsAccepted()).isEqualTo(accepted + 1);
    }

    @Test
    void theBulkheadRefusesFastWithRetryAfterBeyondItsQueue() throws Exception {
        TestBackend a = f.track(TestBackend.start("a"));
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(a.uri())
                        .bulkhead(Bulkhead.of(2).queue(1, Duration.ofMillis(200)).retryAfter(Duration.ofSeconds(2))))
                .route(Route.prefix("/").to("u")));
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            all.add(f.client.sendAsync(HttpRequest.newBuilder(Fixture.uri(g, "/delay/1500")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int full = 0;
        for (CompletableFuture<HttpResponse<String>> c : all) {
            HttpResponse<String> r = c.get();
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertProblem(r, 503, "bulkhead-full");
                assertThat(r.headers().firstValue("Retry-After")).hasValue("2");
                full++;
            }
        }
        assertThat(ok).isEqualTo(2);
        assertThat(full).isEqualTo(3);
        assertThat(a.requestCount()).isEqualTo(2);
    }

    @Test
    void queuedRequestsGetThePlacesThatFreeUp() throws Exception {
        TestBackend a = f.track(TestBackend.start("a"));
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(a.uri()).bulkhead(Bulkhead.of(1).queue(3, Duration.ofSeconds(10))))
                .route(Route.prefix("/").to("u")));
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(f.client.sendAsync(HttpRequest.newBuilder(Fixture.uri(g, "/delay/200")).timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> c : all) {
            assertThat(c.get().statusCode()).isEqualTo(200);
        }
        assertThat(a.requestCount()).isEqualTo(4);
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> Bulkhead.of(0)).hasMessage("bulkhead.maxConcurrent: 0 (expected: >= 1)");
        assertThatThrownBy(() -> Bulkhead.of(1).queue(-1, Duration.ofSeconds(1))).hasMessage("bulkhead.maxQueued: -1 (expected: >= 0)");
        assertThatThrownBy(() -> Route.prefix("/").deadline(Duration.ZERO)).hasMessage("route.deadline: PT0S (expected: >= 1ms)");
        assertThatThrownBy(() -> Route.prefix("/").perTryTimeout(Duration.ofNanos(5)))
                .hasMessage("route.perTryTimeout: PT0.000000005S (expected: >= 1ms)");
    }
}
