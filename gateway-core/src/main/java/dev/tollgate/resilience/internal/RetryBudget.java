package dev.tollgate.resilience.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The retry budget of one upstream: retries in flight may be at most a share of its active requests,
 * or a small minimum. So during an outage, when every request would retry, at most that share adds
 * load. Thread-safe and lock-free.
 */
public final class RetryBudget {

    // striped: every request on both IO threads counts itself, but only a retry reads the sum
    private final LongAdder active = new LongAdder();
    private final AtomicInteger retrying = new AtomicInteger();

    /** A request to the upstream started. */
    public void requestStarted() {
        active.increment();
    }

    /** A request to the upstream ended. */
    public void requestEnded() {
        active.decrement();
    }

    /** Takes a place for one retry if the budget allows; give it back with {@link #retryEnded()}. */
    public boolean tryRetry(int percent, int minimum) {
        int allowed = (int) Math.max(minimum, active.sum() * percent / 100);
        while (true) {
            int n = retrying.get();
            if (n >= allowed) {
                return false;
            }
            if (retrying.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    public void retryEnded() {
        retrying.decrementAndGet();
    }

    /** Active requests, for tests and diagnostics. */
    public int active() {
        return (int) active.sum();
    }

    /** Retries in flight, for tests and diagnostics. */
    public int retrying() {
        return retrying.get();
    }
}
