package dev.tollgate.resilience.internal;

import dev.tollgate.resilience.Bulkhead;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The run-time side of a {@link Bulkhead}: a count of requests in flight and a bounded queue. A queued
 * request is resumed on its own IO thread ({@link Waiter#resume()} is handed to its executor by the
 * waiter itself). Thread-safe and lock-free.
 */
public final class BulkheadGate {

    /** A request waiting for a place. */
    public abstract static class Waiter {
        private final AtomicBoolean claimed = new AtomicBoolean();

        /** Whether this call decides the waiter's fate (a place, or its timeout); only one does. */
        public final boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        /** The waiter got a place; called on any thread. */
        protected abstract void resume();
    }

    /** What {@link #enter} decided. */
    public enum Entry { ENTERED, QUEUED, REJECTED }

    private final Bulkhead spec;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final ConcurrentLinkedQueue<Waiter> queue = new ConcurrentLinkedQueue<>();

    public BulkheadGate(Bulkhead spec) {
        this.spec = spec;
    }

    public Bulkhead spec() {
        return spec;
    }

    /** A place at once, a place in the queue (then {@code waiter} is resumed or times out), or none. */
    public Entry enter(java.util.function.Supplier<Waiter> waiter) {
        if (active.incrementAndGet() <= spec.maxConcurrent()) {
            return Entry.ENTERED;
        }
        active.decrementAndGet();
        if (spec.maxQueued() == 0) {
            return Entry.REJECTED;
        }
        if (queued.incrementAndGet() > spec.maxQueued()) {
            queued.decrementAndGet();
            return Entry.REJECTED;
        }
        queue.add(waiter.get());
        drain();
        return Entry.QUEUED;
    }

    /** A queued waiter gave up (its timeout claimed it); its queue place is free. */
    public void abandoned() {
        queued.decrementAndGet();
    }

    /** A request that entered ended; its place goes to the next waiter. */
    public void exit() {
        active.decrementAndGet();
        drain();
    }

    private void drain() {
        while (!queue.isEmpty()) {
            if (active.incrementAndGet() > spec.maxConcurrent()) {
                active.decrementAndGet();
                return;
            }
            Waiter w = queue.poll();
            if (w == null || !w.claim()) {
                active.decrementAndGet();
                continue;
            }
            queued.decrementAndGet();
            w.resume();
        }
    }

    /** Requests in flight through the gate. */
    public int active() {
        return active.get();
    }
}
