package dev.tollgate.middleware.ratelimit.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.middleware.ratelimit.MissingKeyPolicy;
import dev.tollgate.middleware.ratelimit.RateLimitKey;
import dev.tollgate.middleware.ratelimit.RedisFailurePolicy;
import dev.tollgate.observe.GatewayListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;

/**
 * The running limiter behind a {@code RateLimit}: resolves the key, decides with the local buckets
 * on the IO thread or with Redis on its own bounded lanes of threads, applies the failure policy, and
 * answers. Thread-safe; one instance serves every place the middleware is used.
 */
public final class Limiter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Limiter.class);
    /** The key of requests without one under {@link MissingKeyPolicy#SHARED_ANONYMOUS}; real values are never empty. */
    static final String ANONYMOUS = "";

    private final String name;
    private final RateLimitKey key;
    private final ToLongFunction<HttpServerExchange> cost;
    private final MissingKeyPolicy onMissingKey;
    private final RedisFailurePolicy onFailure;
    private final Policies policies;
    private final LocalBuckets local;
    private final RedisBuckets redis;
    /** One single-thread lane per {@code threads}; a key always uses the same lane. */
    private final ThreadPoolExecutor[] lanes;
    private final Semaphore permits;
    private final String store;
    private final long probeIntervalNanos;
    private final AtomicBoolean degraded = new AtomicBoolean();
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile long nextProbeAt;

    /**
     * @param local the local store, or the stand-in of a Redis store
     * @param redis the Redis store, or null for a local limiter
     */
    public Limiter(String name, RateLimitKey key, ToLongFunction<HttpServerExchange> cost, MissingKeyPolicy onMissingKey,
                   RedisFailurePolicy onFailure, Policies policies, LocalBuckets local, RedisBuckets redis,
                   String store, int threads, int maxPending, Duration probeInterval) {
        this.name = name;
        this.key = key;
        this.cost = cost;
        this.onMissingKey = onMissingKey;
        this.onFailure = onFailure;
        this.policies = policies;
        this.local = local;
        this.redis = redis;
        this.store = store;
        this.probeIntervalNanos = probeInterval.toNanos();
        if (redis == null) {
            this.lanes = null;
            this.permits = null;
        } else {
            // one thread per lane, a key always on the same lane: this instance never races itself
            // on a bucket's compare-and-swap (a hot key would otherwise retry in a loop), and a
            // key's decisions stay in arrival order; the permits bound what waits in all lanes
            this.lanes = new ThreadPoolExecutor[threads];
            for (int i = 0; i < threads; i++) {
                String thread = "tollgate-ratelimit-" + name + "-" + (i + 1);
                lanes[i] = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, thread);
                    t.setDaemon(true);
                    return t;
                });
                lanes[i].allowCoreThreadTimeOut(true);
            }
            this.permits = new Semaphore(maxPending);
        }
    }

    /** The handler that limits requests before {@code next}. */
    public HttpHandler wrap(HttpHandler next) {
        return exchange -> handle(exchange, next);
    }

    /** Whether Redis is failing now and the failure policy applies. */
    public boolean degraded() {
        return degraded.get();
    }

    /** The local buckets (the store, or the Redis store's stand-in). */
    public LocalBuckets local() {
        return local;
    }

    /** The Redis buckets, or null. */
    public RedisBuckets redis() {
        return redis;
    }

    /** IO thread. */
    private void handle(HttpServerExchange exchange, HttpHandler next) throws Exception {
        String k = key.resolve(exchange);
        if (k == null) {
            if (onMissingKey == MissingKeyPolicy.REJECT) {
                ProblemResponder.send(exchange, Problem.UNAUTHORIZED.withDetail("rate limit '" + name
                        + "' counts by " + key + ", which the request does not carry"));
                return;
            }
            k = ANONYMOUS;
        }
        long units = cost.applyAsLong(exchange);
        if (units <= 0) {
            next.handleRequest(exchange);
            return;
        }
        if (redis == null) {
            finish(exchange, next, local.tryConsume(k, units));
            return;
        }
        GatewayListener events = GatewayListener.of(exchange);
        if (degraded.get()) {
            maybeProbe(events);
            storeDown(exchange, next, k, units);
            return;
        }
        if (!permits.tryAcquire()) {
            // Redis is slower than the request rate: shed at once instead of queueing without bound
            storeDown(exchange, next, k, units);
            return;
        }
        String bucketKey = k;
        exchange.dispatch(lanes[Math.floorMod(k.hashCode(), lanes.length)], () -> {
            Decision d = null;
            try {
                // queued behind a call that failed: do not wait for Redis a second time
                if (!degraded.get()) {
                    d = redis.tryConsume(bucketKey, units);
                }
            } catch (RuntimeException e) {
                failed(e, events);
            } finally {
                permits.release();
            }
            try {
                if (d == null) {
                    storeDown(exchange, next, bucketKey, units);
                } else {
                    finish(exchange, next, d);
                }
            } catch (Exception e) {
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        });
    }

    /** The failure policy for one request. Any thread. */
    private void storeDown(HttpServerExchange exchange, HttpHandler next, String k, long units) throws Exception {
        if (onFailure == RedisFailurePolicy.FAIL_OPEN) {
            finish(exchange, next, local.tryConsume(k, units).asStandIn());
        } else {
            ProblemResponder.send(exchange, Problem.UNAVAILABLE.withDetail("rate limit '" + name
                    + "': its store is unavailable"));
        }
    }

    /** Reports the decision, then passes the request on or refuses it. IO thread or a lane. */
    private void finish(HttpServerExchange exchange, HttpHandler next, Decision d) throws Exception {
        exchange.putAttachment(Decision.KEY, d);
        GatewayListener.of(exchange).rateLimitDecided(exchange, policies.limit(d.limit()).name(), d.allowed(),
                d.allowed() ? d.remaining()[d.limit()] : 0);
        if (d.allowed()) {
            policies.decorate(exchange, d);
            next.handleRequest(exchange);
        } else {
            ProblemResponder.send(exchange, policies.refusal(d), policies.refusalHeaders(d));
        }
    }

    /** Redis failed a call: switch to the failure policy, once. Executor thread. */
    private void failed(RuntimeException e, GatewayListener events) {
        if (degraded.compareAndSet(false, true)) {
            nextProbeAt = System.nanoTime() + probeIntervalNanos;
            String reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            log.warn("{} failed ({}); {} until it answers again", store, reason,
                    onFailure == RedisFailurePolicy.FAIL_OPEN ? "limiting with local buckets" : "answering 503");
            events.rateLimitStoreChanged(store, true, reason);
        }
    }

    /** While degraded, lets one request start a probe per interval. IO thread; the probe runs on lane 0. */
    private void maybeProbe(GatewayListener events) {
        if (System.nanoTime() - nextProbeAt < 0 || !probing.compareAndSet(false, true)) {
            return;
        }
        try {
            lanes[0].execute(() -> {
                try {
                    redis.probe();
                    if (degraded.compareAndSet(true, false)) {
                        log.info("{} answers again; deciding with it", store);
                        events.rateLimitStoreChanged(store, false, "recovered");
                    }
                } catch (RuntimeException e) {
                    nextProbeAt = System.nanoTime() + probeIntervalNanos;
                    log.debug("{}: probe failed", store, e);
                } finally {
                    probing.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            probing.set(false); // closed
        }
    }

    /** Stops the lanes (letting queued decisions finish briefly) and closes an owned Redis client. */
    @Override
    public void close() {
        if (lanes != null) {
            for (ThreadPoolExecutor lane : lanes) {
                lane.shutdown();
            }
            try {
                for (ThreadPoolExecutor lane : lanes) {
                    if (!lane.awaitTermination(5, TimeUnit.SECONDS)) {
                        lane.shutdownNow();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                for (ThreadPoolExecutor lane : lanes) {
                    lane.shutdownNow();
                }
            }
        }
        if (redis != null) {
            redis.close();
        }
    }
}
