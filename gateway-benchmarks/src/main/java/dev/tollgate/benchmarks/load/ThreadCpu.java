package dev.tollgate.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time used by the threads whose name starts with a prefix, e.g. {@code "tollgate"} for the
 * gateway's {@code "tollgate I/O-1"} and {@code "tollgate task-1"}: read with {@link #snapshot}
 * before and after a phase, then {@link Snapshot#nanosSince}.
 *
 * <p>Per-thread CPU time counts only what those threads ran on a core, so unlike wall-clock
 * throughput it hardly moves when another process or another thread of this JVM takes the cores
 * away. Not counted: GC and JIT compiler threads, and threads that end during the phase.
 */
final class ThreadCpu {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean SUPPORTED = enable();

    private ThreadCpu() {
    }

    private static boolean enable() {
        if (!THREADS.isThreadCpuTimeSupported()) {
            return false;
        }
        try {
            if (!THREADS.isThreadCpuTimeEnabled()) {
                THREADS.setThreadCpuTimeEnabled(true);
            }
            return true;
        } catch (UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** True if this JVM measures per-thread CPU time. */
    static boolean supported() {
        return SUPPORTED;
    }

    /** CPU time so far of every live thread named {@code prefix...}; empty if unsupported. */
    static Snapshot snapshot(String prefix) {
        requireNonNull(prefix, "prefix");
        Map<Long, Long> cpu = new HashMap<>();
        if (SUPPORTED) {
            for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
                if (info != null && info.getThreadName().startsWith(prefix)) {
                    long nanos = THREADS.getThreadCpuTime(info.getThreadId());
                    if (nanos >= 0) {
                        cpu.put(info.getThreadId(), nanos);
                    }
                }
            }
        }
        return new Snapshot(Map.copyOf(cpu));
    }

    /** CPU nanoseconds per thread id at one moment. */
    record Snapshot(Map<Long, Long> cpuNanosByThread) {

        /**
         * CPU used since {@code earlier} by the threads alive now; a thread started in between
         * counts from zero.
         */
        long nanosSince(Snapshot earlier) {
            long total = 0;
            for (Map.Entry<Long, Long> e : cpuNanosByThread.entrySet()) {
                total += e.getValue() - earlier.cpuNanosByThread.getOrDefault(e.getKey(), 0L);
            }
            return total;
        }
    }

    /**
     * Takes a snapshot when a load generator's measurement window opens and another when it
     * closes; {@link #nanos()} is the CPU the prefixed threads used in between.
     */
    static final class Meter implements LoadGenerator.WindowListener {
        private final String prefix;
        private Snapshot opened;
        private Snapshot closed;

        /** @param prefix thread name prefix; {@code null} measures nothing */
        Meter(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public void windowOpened() {
            if (prefix != null) {
                opened = snapshot(prefix);
            }
        }

        @Override
        public void windowClosed() {
            if (prefix != null) {
                closed = snapshot(prefix);
            }
        }

        /** CPU nanoseconds used in the window, or -1 if not measured (no prefix, unsupported, no window). */
        long nanos() {
            if (prefix == null || !SUPPORTED || opened == null || closed == null) {
                return -1;
            }
            return closed.nanosSince(opened);
        }
    }
}
