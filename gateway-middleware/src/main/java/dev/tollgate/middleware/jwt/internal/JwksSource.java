package dev.tollgate.middleware.jwt.internal;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A JWKS URL and the last good key set fetched from it.
 *
 * <ul>
 *   <li>One fetch at a time; everything that needs keys while one runs joins it.</li>
 *   <li>The set is refetched {@code refreshAhead} before its TTL ends, by a timer, so requests never
 *       wait for a routine refresh. A failed fetch is retried with backoff (1 s doubling, up to the
 *       refresh period).</li>
 *   <li>{@link #demand()} (an unknown {@code kid}, or no keys yet) fetches at most once per
 *       {@code refetchInterval}: a storm of random {@code kid}s costs one fetch.</li>
 *   <li>A failing endpoint, an over-size body, garbage or a set without a usable key leave the last
 *       good set in use.</li>
 * </ul>
 * Fetches use the JDK {@link HttpClient} asynchronously with a connect and response timeout and a
 * body cap; their callbacks run on the source's single daemon thread, never an IO thread.
 */
public final class JwksSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JwksSource.class);
    private static final long FIRST_BACKOFF_MILLIS = 1000;

    /** The fetch settings. */
    public record Settings(URI uri, Duration ttl, Duration refreshAhead, Duration refetchInterval,
                           Duration timeout, long maxBytes) {
    }

    private final Settings settings;
    private final Set<JWSAlgorithm> algorithms;
    private final ScheduledThreadPoolExecutor thread;
    private final HttpClient client;
    private final Object lock = new Object();
    private volatile KeySnapshot current;
    // guarded by lock
    private CompletableFuture<KeySnapshot> inFlight;
    private ScheduledFuture<?> next;
    private long lastDemandNanos;
    private boolean demanded;
    private long backoffMillis = FIRST_BACKOFF_MILLIS;
    private boolean closed;

    public JwksSource(Settings settings, Set<JWSAlgorithm> algorithms) {
        this.settings = settings;
        this.algorithms = Set.copyOf(algorithms);
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "tollgate-jwks");
            t.setDaemon(true);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(thread)
                .build();
    }

    /** Starts the first fetch; requests that arrive before it ends wait for it. */
    public void start() {
        synchronized (lock) {
            fetch();
        }
    }

    /** The last good key set, or null while none was ever fetched. Any thread. */
    public KeySnapshot current() {
        return current;
    }

    /**
     * A fetch on demand: the one in flight, else a new one unless the last demanded fetch began less
     * than {@code refetchInterval} ago. The future completes (never exceptionally) with the key set in
     * use afterwards, which is the old one (or null) when the fetch failed.
     *
     * @return the fetch, or null when the rate limit refuses one
     */
    public CompletableFuture<KeySnapshot> demand() {
        synchronized (lock) {
            if (inFlight != null) {
                return inFlight;
            }
            long now = System.nanoTime();
            if (closed || (demanded && now - lastDemandNanos < settings.refetchInterval().toNanos())) {
                return null;
            }
            demanded = true;
            lastDemandNanos = now;
            return fetch();
        }
    }

    // under lock
    private CompletableFuture<KeySnapshot> fetch() {
        if (inFlight != null) {
            return inFlight;
        }
        if (closed) {
            return CompletableFuture.completedFuture(current);
        }
        CompletableFuture<KeySnapshot> done = new CompletableFuture<>();
        inFlight = done;
        HttpRequest request = HttpRequest.newBuilder(settings.uri())
                .timeout(settings.timeout())
                .header("Accept", "application/json, application/jwk-set+json")
                .GET().build();
        try {
            client.sendAsync(request, LimitedBody.handler(settings.maxBytes()))
                    // the JDK completes on its default async pool (a new thread per task on two cores): hop to ours
                    .whenCompleteAsync((response, error) -> finish(done, response, error), thread);
        } catch (RuntimeException e) {
            // a shut-down executor refuses the call
            finish(done, null, e);
        }
        return done;
    }

    private void finish(CompletableFuture<KeySnapshot> done, HttpResponse<byte[]> response, Throwable error) {
        KeySnapshot fresh = null;
        String problem = null;
        if (error != null) {
            problem = error.toString();
        } else if (response.statusCode() != 200) {
            problem = "status " + response.statusCode();
        } else {
            try {
                fresh = KeySnapshot.of(JWKSet.parse(new String(response.body(), StandardCharsets.UTF_8)), algorithms);
                if (fresh.size() == 0) {
                    problem = "no key usable with " + algorithms;
                    fresh = null;
                }
            } catch (java.text.ParseException | RuntimeException | StackOverflowError e) {
                problem = "not a JWK set (" + e.getMessage() + ")";
            }
        }
        KeySnapshot result;
        synchronized (lock) {
            inFlight = null;
            KeySnapshot old = current;
            long delayMillis;
            if (fresh != null) {
                current = fresh;
                backoffMillis = FIRST_BACKOFF_MILLIS;
                delayMillis = refreshPeriodMillis();
                if (old == null || !old.kids().equals(fresh.kids())) {
                    log.info("JWKS {}: keys {}", settings.uri(), fresh.kids());
                }
            } else {
                delayMillis = backoffMillis;
                backoffMillis = Math.min(backoffMillis * 2, refreshPeriodMillis());
                log.warn("JWKS {} could not be fetched: {}; {}; retry in {} ms", settings.uri(), problem,
                        old == null ? "no keys yet" : "keeping the last good keys " + old.kids(), delayMillis);
            }
            result = current;
            schedule(delayMillis);
        }
        done.complete(result);
    }

    private long refreshPeriodMillis() {
        return Math.max(1, settings.ttl().minus(settings.refreshAhead()).toMillis());
    }

    // under lock
    private void schedule(long delayMillis) {
        if (closed) {
            return;
        }
        if (next != null) {
            next.cancel(false);
        }
        next = thread.schedule(() -> {
            synchronized (lock) {
                fetch();
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops the timer and the fetch thread; requests still waiting for a fetch are answered 503. */
    @Override
    public void close() {
        CompletableFuture<KeySnapshot> pending;
        synchronized (lock) {
            closed = true;
            if (next != null) {
                next.cancel(false);
            }
            pending = inFlight;
        }
        // the JDK client has close() from Java 21 (it waits for a fetch in flight, bounded by the
        // timeout); on 17 its selector thread ends once the client is unreachable
        if (client instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("closing the JWKS client failed", e);
            }
        }
        thread.shutdownNow();
        if (pending != null) {
            pending.complete(null);
        }
    }
}
