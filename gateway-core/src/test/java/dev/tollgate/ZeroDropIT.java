package dev.tollgate;

import dev.tollgate.observe.GatewayListener;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.Upstream;
import io.undertow.server.HttpServerExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Zero dropped requests: steady load while the gateway stops gracefully, and while a route's
 * upstream endpoints are swapped. Every request the gateway accepted must complete with the
 * backend's answer.
 */
class ZeroDropIT {

    private final ExecutorService clients = Executors.newFixedThreadPool(8);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).executor(clients).build();
    private TestBackend a;
    private TestBackend b;
    private Gateway gateway;

    @AfterEach
    void close() throws InterruptedException {
        clients.shutdownNow();
        clients.awaitTermination(5, TimeUnit.SECONDS);
        if (gateway != null) {
            gateway.close();
        }
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    /** Counts what the gateway accepted and how each ended. */
    private static final class Accounting implements GatewayListener {
        final AtomicLong started = new AtomicLong();
        final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();

        @Override
        public void requestStarted(HttpServerExchange exchange) {
            started.incrementAndGet();
        }

        @Override
        public void requestCompleted(HttpServerExchange exchange, int status, long durationNanos) {
            statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }
    }

    @Test
    void gracefulStopUnderLoadCompletesEveryAcceptedRequest() throws Exception {
        a = TestBackend.builder().name("a").ioThreads(2).start();
        Accounting accounting = new Accounting();
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("a").endpoint(a.uri().toString()))
                .route(Route.prefix("/").to("a"))
                .listener(accounting)
                .build().start();
        URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/delay/100");

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger otherStatus = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Future<?>> workers = new java.util.ArrayList<>();
        for (int w = 0; w < 6; w++) {
            workers.add(clients.submit(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        (r.statusCode() == 200 ? ok : otherStatus).incrementAndGet();
                    } catch (IOException e) {
                        // after the stop, new connections are refused: those requests were never accepted
                        refused.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        Await.until(() -> ok.get() >= 30, Duration.ofSeconds(10), "load is flowing");
        Await.until(() -> gateway.inFlight() > 0, Duration.ofSeconds(5), "requests are in flight when the stop begins");
        long inFlightAtStop = gateway.inFlight();
        boolean drained = gateway.stop(Duration.ofSeconds(5));
        running.set(false);
        for (Future<?> f : workers) {
            f.get(15, TimeUnit.SECONDS);
        }

        assertThat(drained).as("all in-flight requests finished within the drain time").isTrue();
        assertThat(inFlightAtStop).isPositive();
        assertThat(otherStatus.get()).as("no request got an error status").isZero();
        // everything the gateway accepted ended with the backend's 200, and the client saw each of them
        assertThat(accounting.statuses.keySet()).containsOnly(200);
        assertThat(accounting.statuses.get(200).get()).isEqualTo(accounting.started.get());
        assertThat(ok.get()).isEqualTo((int) accounting.started.get());
        assertThat(a.requestCount()).isEqualTo(accounting.started.get());
    }

    @Test
    void swappingEndpointsUnderLoadFailsNoRequest() throws Exception {
        a = TestBackend.builder().name("a").ioThreads(2).start();
        b = TestBackend.builder().name("b").ioThreads(2).start();
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("svc").endpoint(a.uri().toString()))
                .route(Route.prefix("/").to("svc"))
                .build().start();
        URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/delay/5");
        Endpoint ea = Endpoint.of(a.uri().toString());
        Endpoint eb = Endpoint.of(b.uri().toString());

        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        int perWorker = 250;
        List<Future<?>> workers = new java.util.ArrayList<>();
        for (int w = 0; w < 6; w++) {
            workers.add(clients.submit(() -> {
                for (int i = 0; i < perWorker; i++) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            failures.add(r.statusCode() + " " + r.body());
                        }
                    } catch (IOException e) {
                        failed.incrementAndGet();
                        failures.add(e.toString());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        List<List<Endpoint>> sets = List.of(List.of(eb), List.of(ea, eb), List.of(ea), List.of(Endpoint.of(b.uri().toString(), 3), ea));
        int swaps = 0;
        while (workers.stream().anyMatch(f -> !f.isDone())) {
            gateway.upstream("svc").replaceEndpoints(sets.get(swaps++ % sets.size()));
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(15).toNanos());
        }
        for (Future<?> f : workers) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertThat(swaps).as("the endpoint set changed many times under load").isGreaterThan(20);
        assertThat(failures).as("failed requests").isEmpty();
        assertThat(failed.get()).isZero();
        assertThat(ok.get()).isEqualTo(6 * perWorker);
        assertThat(a.requestCount()).isPositive();
        assertThat(b.requestCount()).isPositive();
        assertThat(a.requestCount() + b.requestCount()).isEqualTo(6L * perWorker);
    }
}
