package dev.tollgate.middleware.logging.internal;

import dev.tollgate.error.Json;
import dev.tollgate.middleware.logging.LogFormat;
import org.slf4j.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;

/**
 * Counts errors by route and kind, and writes one summary line per interval in which any occurred
 * instead of one line per failure. The summary runs on a daemon thread of its own that exists only
 * while errors are being counted: the first error of a quiet period schedules one summary, which
 * logs and resets the window; the thread ends itself after a quiet interval. Recording is lock-free
 * (two map lookups and an adder) and safe from any thread.
 */
public final class ErrorTally implements AutoCloseable {

    /** Receives each counted error (for metrics); may be null. */
    private final BiFunction<String, String, Runnable> meterFactory;
    private final Logger log;
    private final boolean json;
    private final Duration interval;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Entry>> byRoute = new ConcurrentHashMap<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ScheduledThreadPoolExecutor timer;
    private volatile boolean closed;

    private static final class Entry {
        final LongAdder window = new LongAdder();
        final Runnable meter;

        Entry(Runnable meter) {
            this.meter = meter;
        }
    }

    /**
     * @param meterFactory makes the increment action for a (route, kind) pair, called once per pair; null for none
     * @param interval the summary interval; null for no summaries (errors are then only metered)
     */
    public ErrorTally(BiFunction<String, String, Runnable> meterFactory, Logger log, boolean json, Duration interval) {
        this.meterFactory = meterFactory;
        this.log = log;
        this.json = json;
        this.interval = interval;
        if (interval == null) {
            timer = null;
        } else {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "tollgate-error-summary");
                t.setDaemon(true);
                return t;
            });
            timer.setKeepAliveTime(Math.max(1, interval.toMillis()), TimeUnit.MILLISECONDS);
            timer.allowCoreThreadTimeOut(true);
            timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        }
    }

    /** Counts one error of {@code kind} on {@code route}. Any thread; never blocks. */
    public void record(String route, String kind) {
        ConcurrentHashMap<String, Entry> kinds = byRoute.get(route);
        if (kinds == null) {
            kinds = byRoute.computeIfAbsent(route, r -> new ConcurrentHashMap<>());
        }
        Entry e = kinds.get(kind);
        if (e == null) {
            e = kinds.computeIfAbsent(kind, k -> new Entry(meterFactory == null ? null : meterFactory.apply(route, k)));
        }
        if (e.meter != null) {
            e.meter.run();
        }
        if (timer != null) {
            e.window.increment();
            if (!scheduled.get() && !closed && scheduled.compareAndSet(false, true)) {
                try {
                    timer.schedule(this::summarise, interval.toNanos(), TimeUnit.NANOSECONDS);
                } catch (RuntimeException rejected) {
                    scheduled.set(false); // closed meanwhile
                }
            }
        }
    }

    /** Logs and resets the current window, if it counted anything. */
    void summarise() {
        // cleared first: an error counted from here on schedules the next summary itself
        scheduled.set(false);
        Map<String, Map<String, Long>> counts = new TreeMap<>();
        byRoute.forEach((route, kinds) -> kinds.forEach((kind, e) -> {
            long n = e.window.sumThenReset();
            if (n > 0) {
                counts.computeIfAbsent(route, r -> new TreeMap<>()).put(kind, n);
            }
        }));
        if (!counts.isEmpty()) {
            log.warn(json ? LogFormat.JSON_MESSAGE : null, line(counts));
        }
    }

    private String line(Map<String, Map<String, Long>> counts) {
        StringBuilder sb = new StringBuilder(128);
        if (json) {
            IsoTime.append(sb.append("{\"time\":\""), System.currentTimeMillis()).append("\",\"event\":\"error_summary\",\"interval_ms\":")
                    .append(interval.toMillis()).append(",\"errors\":{");
            boolean firstRoute = true;
            for (Map.Entry<String, Map<String, Long>> r : counts.entrySet()) {
                sb.append(firstRoute ? "" : ",");
                firstRoute = false;
                Json.quote(sb, r.getKey()).append(":{");
                boolean firstKind = true;
                for (Map.Entry<String, Long> k : r.getValue().entrySet()) {
                    sb.append(firstKind ? "" : ",");
                    firstKind = false;
                    Json.quote(sb, k.getKey()).append(':').append(k.getValue());
                }
                sb.append('}');
            }
            return sb.append("}}").toString();
        }
        sb.append("errors in the last ").append(interval.toMillis()).append(" ms:");
        boolean firstRoute = true;
        for (Map.Entry<String, Map<String, Long>> r : counts.entrySet()) {
            sb.append(firstRoute ? " " : "; ").append("route=").append(r.getKey());
            firstRoute = false;
            r.getValue().forEach((kind, n) -> sb.append(' ').append(kind).append('=').append(n));
        }
        return sb.toString();
    }

    /** Writes the pending summary now and stops the timer thread. */
    @Override
    public void close() {
        closed = true;
        if (timer != null) {
            timer.shutdownNow();
            summarise();
        }
    }
}
