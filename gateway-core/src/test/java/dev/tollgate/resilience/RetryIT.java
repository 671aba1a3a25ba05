package dev.tollgate.resilience;

import dev.tollgate.Gateway;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.route.Route;
import dev.tollgate.testing.FaultProxy;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.LoadBalancer;
import dev.tollgate.upstream.OutlierDetection;
import dev.tollgate.upstream.Upstream;
import io.undertow.util.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xnio.IoUtils;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tollgate.resilience.Fixture.assertProblem;
import static dev.tollgate.resilience.Fixture.bytes;
import static dev.tollgate.resilience.Fixture.expectedBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retries: what is retried, where it goes, and what never is. */
class RetryIT {

    private final Fixture f = new Fixture();

    @AfterEach
    void close() throws Exception {
        f.close();
    }

    private Gateway gateway(Upstream.Builder upstream, Route.Builder route) {
        return f.start(Gateway.builder().upstream(upstream.outlierDetection(OutlierDetection.disabled())
                        .circuitBreaker(CircuitBreakerPolicy.disabled()))
                .route(route));
    }

    private Gateway gateway(Upstream.Builder upstream) {
        return gateway(upstream, Route.prefix("/").to(upstream.build().name()));
    }

    @Test
    void a503IsRetriedOnTheOtherEndpoint() throws Exception {
        AtomicInteger aCount = new AtomicInteger();
        AtomicInteger bCount = new AtomicInteger();
        TestBackend a = f.backend("a", aCount, n -> 503);
        TestBackend b = f.backend("b", bCount, n -> 0);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()).endpoint(b.uri()).loadBalancer(LoadBalancer.roundRobin()));
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = f.get(g, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).startsWith("b:");
        }
        // every request reached b; a saw each request at most once (a retry never went back to it)
        assertThat(bCount.get()).isEqualTo(10);
        assertThat(aCount.get()).isBetween(1, 10);
        assertThat(f.attempts).filteredOn(x -> x.port() == a.port())
                .allSatisfy(x -> assertThat(x.status()).isEqualTo(503));
    }

    @Test
    void aResetBeforeTheResponseIsRetriedOnTheOtherEndpoint() throws Exception {
        TestBackend a = f.track(TestBackend.start("a"));
        TestBackend b = f.track(TestBackend.start("b"));
        FaultProxy fa = f.track(FaultProxy.start(a.port())).mode(FaultProxy.Mode.RESET);
        Gateway g = gateway(Upstream.builder("u").endpoint(fa.uri()).endpoint(b.uri()).loadBalancer(LoadBalancer.roundRobin()));
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = f.get(g, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("b");
        }
        assertThat(f.attempts).anySatisfy(x -> assertThat(x.outcome()).isEqualTo(AttemptOutcome.UPSTREAM_RESET));
    }

    @Test
    void aConnectFailureIsRetriedForAnyMethod() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        AtomicInteger count = new AtomicInteger();
        TestBackend b = f.backend("b", count, n -> 0);
        Gateway g = gateway(Upstream.builder("u").endpoint("http://127.0.0.1:" + dead).endpoint(b.uri())
                .loadBalancer(LoadBalancer.roundRobin()));
        byte[] body = bytes(1000);
        for (int i = 0; i < 4; i++) {
            // nothing reached the dead endpoint, so even a POST may go again
            HttpResponse<String> r = f.send(g, "POST", "/x", body);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(expectedBody("b", body));
        }
        assertThat(count.get()).isEqualTo(4);
        assertThat(f.attempts).anySatisfy(x -> assertThat(x.outcome()).isEqualTo(AttemptOutcome.CONNECT_FAILED));
    }

    @Test
    void aPerTryTimeoutGoesToTheOtherEndpointAndItsConnectionIsClosed() throws Exception {
        TestBackend a = f.track(TestBackend.start("a"));
        TestBackend b = f.track(TestBackend.start("b"));
        FaultProxy fa = f.track(FaultProxy.start(a.port())).mode(FaultProxy.Mode.BLACKHOLE);
        Gateway g = gateway(Upstream.builder("u").endpoint(fa.uri()).endpoint(b.uri()).loadBalancer(LoadBalancer.roundRobin()),
                Route.prefix("/").to("u").perTryTimeout(Duration.ofMillis(300)));
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = f.get(g, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("b");
        }
        assertThat(f.attempts).anySatisfy(x -> assertThat(x.outcome()).isEqualTo(AttemptOutcome.RESPONSE_TIMEOUT));
        // each timed-out attempt closed its connection: none is kept open to the hung endpoint
        dev.tollgate.testing.Await.until(() -> fa.openConnections() == 0, "the timed-out connections to close");
        assertThat(fa.connectionsAccepted()).isEqualTo(f.attempts.stream()
                .filter(x -> x.outcome() == AttemptOutcome.RESPONSE_TIMEOUT).count());
    }

    @Test
    void aPostIsNotRetriedButAPutIs() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> n % 2 == 0 ? 503 : 0);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()));
        byte[] body = bytes(5000);
        HttpResponse<String> post = f.send(g, "POST", "/x", body);
        assertThat(post.statusCode()).isEqualTo(503);
        assertThat(count.get()).isEqualTo(1);
        HttpResponse<String> patch = f.send(g, "PATCH", "/x", body);
        assertThat(patch.statusCode()).isEqualTo(200);
        assertThat(count.get()).isEqualTo(2);
        // n = 2 fails, n = 3 answers: a PUT with its body goes again, the body intact
        HttpResponse<String> put = f.send(g, "PUT", "/x", body);
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.body()).isEqualTo(expectedBody("a", body));
        assertThat(count.get()).isEqualTo(4);
    }

    @Test
    void aPostWithAnIdempotencyKeyOrOptedInIsRetriedWithItsBody() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> n % 2 == 0 ? 502 : 0);
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(a.uri()).outlierDetection(OutlierDetection.disabled()))
                .route(Route.prefix("/opted").to("u").retry(RetryPolicy.builder().retryNonIdempotent(true)))
                .route(Route.prefix("/").to("u")));
        byte[] body = bytes(30_000);
        HttpResponse<String> keyed = f.send(g, "POST", "/x", body, "Idempotency-Key", "k-1");
        assertThat(keyed.statusCode()).isEqualTo(200);
        assertThat(keyed.body()).isEqualTo(expectedBody("a", body));
        assertThat(count.get()).isEqualTo(2);
        HttpResponse<String> opted = f.send(g, "POST", "/opted", body);
        assertThat(opted.statusCode()).isEqualTo(200);
        assertThat(opted.body()).isEqualTo(expectedBody("a", body));
        assertThat(count.get()).isEqualTo(4);
    }

    @Test
    void aBodyOverTheReplayLimitIsNotRetriedOnceSent() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> n % 2 == 0 ? 503 : 0);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()));
        byte[] big = bytes(64 * 1024 + 1);
        HttpResponse<String> r = f.send(g, "PUT", "/x", big);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(count.get()).isEqualTo(1);
        // at the limit it is kept and sent again
        count.set(0);
        byte[] fits = bytes(64 * 1024);
        HttpResponse<String> ok = f.send(g, "PUT", "/x", fits);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo(expectedBody("a", fits));
        assertThat(count.get()).isEqualTo(2);
    }

    @Test
    void neverARetryOnceResponseBytesWentToTheClient() throws Exception {
        AtomicInteger count = new AtomicInteger();
        // headers and a few body bytes, then the connection dies: the client has a started response
        TestBackend a = f.track(TestBackend.start("a", ex -> {
            count.incrementAndGet();
            ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, 100_000);
            ex.getResponseSender().send("partial", new io.undertow.io.IoCallback() {
                @Override
                public void onComplete(io.undertow.server.HttpServerExchange e, io.undertow.io.Sender s) {
                    IoUtils.safeClose(e.getConnection());
                }

                @Override
                public void onException(io.undertow.server.HttpServerExchange e, io.undertow.io.Sender s, IOException x) {
                    IoUtils.safeClose(e.getConnection());
                }
            });
        }));
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()));
        assertThatThrownBy(() -> f.get(g, "/x")).isInstanceOf(IOException.class);
        dev.tollgate.testing.Await.until(() -> f.attempts.size() >= 1, "the attempt event");
        assertThat(count.get()).isEqualTo(1);
        assertThat(f.attempts).hasSize(1);
    }

    @Test
    void theBudgetLimitsRetriesDuringAnOutage() throws Exception {
        AtomicInteger count = new AtomicInteger();
        // every answer is a 503 after 600 ms: the first attempts of all requests fail at about the same time
        TestBackend a = f.track(TestBackend.start("a", ex -> {
            count.incrementAndGet();
            ex.setStatusCode(503);
            ex.dispatch(() -> ex.getIoThread().executeAfter(ex::endExchange, 600, java.util.concurrent.TimeUnit.MILLISECONDS));
        }));
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri())
                .retry(RetryPolicy.builder().maxAttempts(3).budget(0, 2).backoff(Duration.ZERO, Duration.ZERO)));
        int requests = 20;
        List<CompletableFuture<HttpResponse<String>>> all = new java.util.ArrayList<>();
        for (int i = 0; i < requests; i++) {
            all.add(f.client.sendAsync(java.net.http.HttpRequest.newBuilder(Fixture.uri(g, "/x"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> r : all) {
            assertThat(r.get().statusCode()).isEqualTo(503);
        }
        // without a budget: up to 60 attempts; with at most 2 retries in flight far fewer
        assertThat(count.get()).isGreaterThanOrEqualTo(requests).isLessThanOrEqualTo(requests + 8);
    }

    @Test
    void retryAfterIsHonouredUpToTheCap() throws Exception {
        AtomicInteger count = new AtomicInteger();
        AtomicInteger retryAfter = new AtomicInteger(1);
        TestBackend a = f.track(TestBackend.start("a", ex -> {
            if (count.getAndIncrement() % 2 == 0) {
                ex.setStatusCode(503);
                ex.getResponseHeaders().put(Headers.RETRY_AFTER, retryAfter.get());
            }
            ex.endExchange();
        }));
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri())
                .retry(RetryPolicy.builder().retryAfterCap(Duration.ofSeconds(2))));
        long started = System.nanoTime();
        assertThat(f.get(g, "/x").statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(count.get()).isEqualTo(2);
        // above the cap: not retried, the upstream's answer goes to the client
        retryAfter.set(5);
        HttpResponse<String> r = f.get(g, "/x");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(count.get()).isEqualTo(3);
    }

    @Test
    void exhaustedRetriesRelayTheLastAnswer() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> 504);
        Gateway g = gateway(Upstream.builder("u").endpoint(a.uri()).retry(RetryPolicy.builder().maxAttempts(4)));
        HttpResponse<String> r = f.get(g, "/x");
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.body()).startsWith("a:");
        assertThat(count.get()).isEqualTo(4);
        assertThat(f.attempts).extracting(Fixture.Attempt::attempt).containsExactly(1, 2, 3, 4);
    }

    @Test
    void policyValidation() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
                .hasMessage("retry.maxAttempts: 0 (expected: >= 1)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RetryPolicy.builder().backoff(Duration.ofSeconds(1), Duration.ofMillis(1)))
                .hasMessage("retry.backoff: max PT0.001S is below base PT1S (expected: max >= base)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RetryPolicy.builder().retryStatuses(99))
                .hasMessage("retry.retryStatuses: 99 (expected: 100..599)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RetryPolicy.builder().retryOn(AttemptOutcome.CLIENT_ABORTED))
                .hasMessageStartingWith("retry.retryOn: CLIENT_ABORTED");
        RetryPolicy p = RetryPolicy.builder().backoff(Duration.ofMillis(100), Duration.ofMillis(400)).build();
        for (int i = 0; i < 200; i++) {
            assertThat(p.backoffNanos(1)).isBetween(0L, 100_000_000L);
            assertThat(p.backoffNanos(10)).isBetween(0L, 400_000_000L);
        }
    }
}
