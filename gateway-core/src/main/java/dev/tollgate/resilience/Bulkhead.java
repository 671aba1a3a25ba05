package dev.tollgate.resilience;

import java.time.Duration;
import java.util.Objects;

/**
 * A cap on the requests in flight to one upstream, with a short bounded queue; beyond it requests get
 * a fast 503 {@code bulkhead-full} with {@code Retry-After}. Immutable and thread-safe. Off unless
 * configured with {@link #of(int)}.
 */
public final class Bulkhead {

    private final int maxConcurrent;
    private final int maxQueued;
    private final Duration maxWait;
    private final Duration retryAfter;

    private Bulkhead(int maxConcurrent, int maxQueued, Duration maxWait, Duration retryAfter) {
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.maxWait = maxWait;
        this.retryAfter = retryAfter;
    }

    /**
     * At most {@code maxConcurrent} requests in flight; queue 0, so the next one is refused at once.
     *
     * @throws IllegalArgumentException if {@code maxConcurrent < 1}
     */
    public static Bulkhead of(int maxConcurrent) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("bulkhead.maxConcurrent: " + maxConcurrent + " (expected: >= 1)");
        }
        return new Bulkhead(maxConcurrent, 0, Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    /** Up to {@code maxQueued} requests wait up to {@code maxWait} for a place. Default: none. */
    public Bulkhead queue(int maxQueued, Duration maxWait) {
        if (maxQueued < 0) {
            throw new IllegalArgumentException("bulkhead.maxQueued: " + maxQueued + " (expected: >= 0)");
        }
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.toMillis() < 1 || maxWait.toSeconds() > 60) {
            throw new IllegalArgumentException("bulkhead.maxWait: " + maxWait + " (expected: 1ms..60s)");
        }
        return new Bulkhead(maxConcurrent, maxQueued, maxWait, retryAfter);
    }

    /** The {@code Retry-After} sent with the 503, rounded up to whole seconds. Default 1 s. */
    public Bulkhead retryAfter(Duration retryAfter) {
        Objects.requireNonNull(retryAfter, "retryAfter");
        if (retryAfter.isNegative()) {
            throw new IllegalArgumentException("bulkhead.retryAfter: " + retryAfter + " (expected: >= 0)");
        }
        return new Bulkhead(maxConcurrent, maxQueued, maxWait, retryAfter);
    }

    public int maxConcurrent() {
        return maxConcurrent;
    }

    public int maxQueued() {
        return maxQueued;
    }

    public Duration maxWait() {
        return maxWait;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    @Override
    public String toString() {
        return "Bulkhead[" + maxConcurrent + " concurrent, " + maxQueued + " queued for " + maxWait + "]";
    }
}
