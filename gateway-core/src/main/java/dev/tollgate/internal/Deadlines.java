package dev.tollgate.internal;

import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

import java.util.concurrent.TimeUnit;

/**
 * Timeouts of one length on one IO thread, without a timer per request. Entries join at the tail in
 * deadline order (same length, so adding order is deadline order), leave in O(1) when their work
 * finishes in time, and one scheduled task walks the expired head. XNIO's own {@code executeAfter}
 * costs a tree insert and removal under a lock for every request; this costs two pointer updates.
 * Every method runs on {@link #thread}.
 */
public final class Deadlines {

    /** One pending timeout; {@link #cancel()} it when the work finished in time. */
    public final class Entry {
        private final Runnable onTimeout;
        private final long deadline;
        private Entry prev;
        private Entry next;
        private boolean linked;

        private Entry(Runnable onTimeout, long deadline) {
            this.onTimeout = onTimeout;
            this.deadline = deadline;
        }

        /** Drops the timeout; harmless after it fired or was cancelled. */
        public void cancel() {
            if (linked) {
                unlink(this);
            }
        }
    }

    private final XnioIoThread thread;
    private final long timeoutNanos;
    private Entry head;
    private Entry tail;
    private XnioExecutor.Key timer;
    private long timerDeadline;

    public Deadlines(XnioIoThread thread, long timeoutNanos) {
        this.thread = thread;
        this.timeoutNanos = timeoutNanos;
    }

    /** Calls {@code onTimeout} on this thread when the timeout passes, unless cancelled first. */
    public Entry add(Runnable onTimeout) {
        Entry e = new Entry(onTimeout, System.nanoTime() + timeoutNanos);
        e.prev = tail;
        if (tail == null) {
            head = e;
        } else {
            tail.next = e;
        }
        tail = e;
        e.linked = true;
        if (timer == null) {
            arm(e.deadline);
        }
        return e;
    }

    /** The length of every timeout in this list. */
    public long timeoutNanos() {
        return timeoutNanos;
    }

    /** Pending entries; for tests and diagnostics. */
    public int size() {
        int n = 0;
        for (Entry e = head; e != null; e = e.next) {
            n++;
        }
        return n;
    }

    private void unlink(Entry e) {
        if (e.prev == null) {
            head = e.next;
        } else {
            e.prev.next = e.next;
        }
        if (e.next == null) {
            tail = e.prev;
        } else {
            e.next.prev = e.prev;
        }
        e.prev = null;
        e.next = null;
        e.linked = false;
    }

    private void arm(long deadline) {
        timerDeadline = deadline;
        long delayMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
        timer = thread.executeAfter(this::expire, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void expire() {
        timer = null;
        long now = System.nanoTime();
        while (head != null && head.deadline - now <= 0) {
            Entry e = head;
            unlink(e);
            e.onTimeout.run();
        }
        // the timer stays armed for the oldest pending entry only: finishing in time costs no timer work
        if (head != null && timer == null) {
            arm(head.deadline);
        }
    }

    @Override
    public String toString() {
        return "Deadlines[" + size() + " pending, next at " + timerDeadline + "]";
    }
}
