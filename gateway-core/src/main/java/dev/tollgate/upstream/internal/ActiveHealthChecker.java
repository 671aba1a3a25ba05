package dev.tollgate.upstream.internal;

import dev.tollgate.upstream.HealthCheck;
import dev.tollgate.upstream.UpstreamPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the active health checks of a gateway's upstreams, off the request path: one scheduler thread
 * ({@code tollgate-health-scheduler}) starts a round per upstream every interval (±10% jitter), and
 * the JDK {@code HttpClient} sends the checks asynchronously; results are handled on its two executor
 * threads ({@code tollgate-health-N}). A check still running when the next round starts is not
 * repeated. Owned by one gateway: {@link #close()} stops the threads.
 */
public final class ActiveHealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ActiveHealthChecker.class);

    private final List<UpstreamPool> pools = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService executor;
    private final HttpClient client;
    private final java.util.Map<UpstreamPool, HttpClient> tlsClients = new java.util.HashMap<>();
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

    /** Starts nothing yet; {@link #start()} does. Upstreams without a health check are skipped. */
    public ActiveHealthChecker(Collection<UpstreamPool> upstreams) {
        Duration connectTimeout = Duration.ofSeconds(1);
        for (UpstreamPool p : upstreams) {
            p.healthCheck().ifPresent(hc -> pools.add(p));
        }
        for (UpstreamPool p : pools) {
            Duration t = p.healthCheck().orElseThrow().timeout();
            if (t.compareTo(connectTimeout) > 0) {
                connectTimeout = t;
            }
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("tollgate-health-scheduler", false));
        this.executor = Executors.newFixedThreadPool(2, daemon("tollgate-health-", true));
        this.client = newClient(connectTimeout).build();
        // an upstream with its own TLS (trust store, client certificate) is checked with it too
        for (UpstreamPool p : pools) {
            Duration t = connectTimeout;
            p.tls().ifPresent(tls -> tlsClients.put(p, newClient(t).sslContext(tls.sslContext()).build()));
        }
    }

    private HttpClient.Builder newClient(Duration connectTimeout) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout)
                .executor(task -> {
                    try {
                        executor.execute(task);
                    } catch (RejectedExecutionException e) {
                        // closed: the client's last callbacks are dropped with it
                    }
                });
    }

    /** Whether any upstream has an active check. */
    public boolean active() {
        return !pools.isEmpty();
    }

    /**
     * Schedules the first round of every upstream within a tenth of its interval. Called by
     * {@code Gateway.start()} and when the gateway's handler is mounted; only the first call counts.
     */
    public void start() {
        if (closed || !started.compareAndSet(false, true)) {
            return;
        }
        for (UpstreamPool p : pools) {
            HealthCheck hc = p.healthCheck().orElseThrow();
            long first = ThreadLocalRandom.current().nextLong(Math.max(1, hc.interval().toNanos() / 10));
            schedule(p, hc, first);
        }
    }

    private void schedule(UpstreamPool pool, HealthCheck hc, long delayNanos) {
        if (closed) {
            return;
        }
        try {
            scheduler.schedule(() -> round(pool, hc), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    // scheduler thread: never blocks, sendAsync returns at once
    private void round(UpstreamPool pool, HealthCheck hc) {
        try {
            for (EndpointState s : pool.states()) {
                if (!s.removed() && s.checkInFlight.compareAndSet(false, true)) {
                    check(pool, hc, s);
                }
            }
        } catch (RuntimeException e) {
            log.warn("health check round of upstream '{}' failed", pool.name(), e);
        } finally {
            long interval = hc.interval().toNanos();
            long jitter = (long) (interval * 0.1 * (ThreadLocalRandom.current().nextDouble() * 2 - 1));
            schedule(pool, hc, interval + jitter);
        }
    }

    private void check(UpstreamPool pool, HealthCheck hc, EndpointState s) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(s.endpoint().uri() + hc.path()))
                    .method(hc.method(), HttpRequest.BodyPublishers.noBody())
                    .timeout(hc.timeout())
                    .header("User-Agent", "tollgate-health-check")
                    .build();
        } catch (RuntimeException e) {
            s.checkInFlight.set(false);
            pool.recordCheck(s, false, e.toString());
            return;
        }
        tlsClients.getOrDefault(pool, client).sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            s.checkInFlight.set(false);
            if (closed) {
                return;
            }
            if (error != null) {
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                pool.recordCheck(s, false, cause.getClass().getSimpleName()
                        + (cause.getMessage() != null ? ": " + cause.getMessage() : ""));
            } else {
                int status = response.statusCode();
                pool.recordCheck(s, hc.expects(status), "status " + status);
            }
        });
    }

    /** Stops the scheduler and the client's threads; checks under way are abandoned. */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        executor.shutdownNow();
    }

    private static ThreadFactory daemon(String name, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? name + n.incrementAndGet() : name);
            t.setDaemon(true);
            return t;
        };
    }
}
