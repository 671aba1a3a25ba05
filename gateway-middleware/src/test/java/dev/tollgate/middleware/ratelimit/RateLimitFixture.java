package dev.tollgate.middleware.ratelimit;

import dev.tollgate.Gateway;
import dev.tollgate.auth.Principal;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.ratelimit.internal.Decision;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.testing.TestGateway;
import io.undertow.server.HttpServerExchange;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared parts of the rate-limit tests: a gateway with the limiter, a client, an event recorder and an open-loop load. */
final class RateLimitFixture {

    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Attaches a principal whose subject is the {@code X-Test-User} header, with a {@code tenant} claim from {@code X-Test-Tenant}. */
    static final Middleware TEST_AUTH = Middleware.onRequest(exchange -> {
        String user = exchange.getRequestHeaders().getFirst("X-Test-User");
        if (user != null) {
            String tenant = exchange.getRequestHeaders().getFirst("X-Test-Tenant");
            Principal.of(user, tenant == null ? Map.of() : Map.of("tenant", tenant), Set.of()).attach(exchange);
        }
    });

    private RateLimitFixture() {
    }

    /** A started gateway in front of {@code backend} with {@code middleware} (global, in order) and {@code listener}. */
    static Gateway gateway(URI backend, GatewayListener listener, Middleware... middleware) {
        Gateway.Builder b = TestGateway.inFrontOf(backend).listener(listener);
        for (Middleware m : middleware) {
            b.use(m);
        }
        return b.build().start();
    }

    static HttpResponse<String> get(Gateway gateway, String path, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            r.headers(headers);
        }
        return CLIENT.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Records rate-limit events with the time they were heard. */
    static final class Recorder implements GatewayListener {
        /** {@code nanos}: when the bucket was read, on the store's clock (so windows are measured as the bucket saw them). */
        record Decided(long nanos, String policy, boolean allowed, long remaining, boolean standIn) {
        }

        record StoreChange(String store, boolean degraded, String reason) {
        }

        final List<Decided> decided = new CopyOnWriteArrayList<>();
        final List<StoreChange> storeChanges = new CopyOnWriteArrayList<>();

        @Override
        public void rateLimitDecided(HttpServerExchange exchange, String policy, boolean allowed, long remaining) {
            Decision d = exchange.getAttachment(Decision.KEY);
            decided.add(new Decided(d.timeNanos(), policy, allowed, remaining, d.standIn()));
        }

        @Override
        public void rateLimitStoreChanged(String store, boolean degraded, String reason) {
            storeChanges.add(new StoreChange(store, degraded, reason));
        }

        List<Long> admittedTimes() {
            List<Long> times = new ArrayList<>();
            for (Decided d : decided) {
                if (d.allowed()) {
                    times.add(d.nanos());
                }
            }
            return times;
        }
    }

    /** The most timestamps inside any window of length {@code window} (a sliding window over every start). */
    static int maxInWindow(List<Long> nanos, Duration window) {
        List<Long> t = new ArrayList<>(nanos);
        Collections.sort(t);
        int best = 0;
        int j = 0;
        for (int i = 0; i < t.size(); i++) {
            while (j < t.size() && t.get(j) - t.get(i) < window.toNanos()) {
                j++;
            }
            best = Math.max(best, j - i);
        }
        return best;
    }

    /**
     * Offers three times {@code rate} per second for four seconds, open loop, spread over
     * {@code targets}, and checks what {@code events} heard admitted: in every window of 0.5, 1 and
     * 2 s at most {@code burst + rate x window} (+1), the same over the whole run (a busy machine may
     * stretch it past 4 s), and well above nothing.
     */
    static void offerThreeTimesTheRate(List<URI> targets, Recorder events, int rate, int burst) {
        List<Integer> statuses = openLoop(targets, 3.0 * rate, Duration.ofSeconds(4));
        assertThat(statuses).containsOnly(200, 429);
        List<Long> admitted = events.admittedTimes();
        assertThat(admitted).hasSize((int) statuses.stream().filter(s -> s == 200).count());
        for (double seconds : new double[]{0.5, 1, 2}) {
            assertThat(maxInWindow(admitted, Duration.ofMillis((long) (seconds * 1000))))
                    .as("admitted in a %s s window", seconds)
                    .isLessThanOrEqualTo((int) (burst + rate * seconds) + 1);
        }
        assertThat(admitted.size()).isGreaterThanOrEqualTo(3 * rate)
                .isLessThanOrEqualTo((int) (burst + rate * spanSeconds(admitted)) + 1);
    }

    /** Closes in reverse order of opening. */
    static void closeAll(List<AutoCloseable> resources) throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        resources.clear();
    }

    /** Seconds from the first to the last timestamp. */
    static double spanSeconds(List<Long> nanos) {
        return (Collections.max(nanos) - Collections.min(nanos)) / 1e9;
    }

    /**
     * Sends GETs at a fixed rate (open loop: a slow answer does not delay the next send), spread round
     * robin over {@code targets}, for {@code duration}; waits for every answer.
     *
     * @return the status of each request (0 for a failure)
     */
    static List<Integer> openLoop(List<URI> targets, double perSecond, Duration duration) {
        long interval = (long) (TimeUnit.SECONDS.toNanos(1) / perSecond);
        long count = duration.toNanos() / interval;
        List<CompletableFuture<Integer>> answers = new ArrayList<>();
        long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            HttpRequest request = HttpRequest.newBuilder(targets.get((int) (i % targets.size())))
                    .timeout(Duration.ofSeconds(10)).build();
            answers.add(CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .thenApply(HttpResponse::statusCode).exceptionally(e -> 0));
        }
        return answers.stream().map(CompletableFuture::join).toList();
    }
}
