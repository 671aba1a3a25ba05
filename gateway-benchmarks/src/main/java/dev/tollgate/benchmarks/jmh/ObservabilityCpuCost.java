package dev.tollgate.benchmarks.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@link ObservabilityBenchmark}'s operations measured in CPU time of the calling thread rather than
 * wall time: on a shared, oversubscribed machine a JMH average is mostly time spent waiting for a
 * core, while CPU time per operation stays close to what the work costs. Each operation is warmed
 * up, then timed in seven batches; the least CPU per operation of the seven is printed (the batch
 * least disturbed by the neighbours). Work done on other threads (a batch span processor's export
 * thread) is not included.
 *
 * <pre>java -cp gateway-benchmarks/target/benchmarks.jar dev.tollgate.benchmarks.jmh.ObservabilityCpuCost</pre>
 */
public final class ObservabilityCpuCost {

    private static final int WARMUP = 300_000;
    private static final int BATCH = 200_000;
    private static final int BATCHES = 7;

    private ObservabilityCpuCost() {
    }

    public static void main(String[] args) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isCurrentThreadCpuTimeSupported()) {
            System.err.println("this JVM cannot measure thread CPU time");
            System.exit(1);
        }
        ObservabilityBenchmark b = new ObservabilityBenchmark();
        b.setUp();
        try {
            report(threads, "metrics (GatewayMetrics, one request, one attempt)", b::metrics);
            report(threads, "metricsUncachedTimer (a request timer built per request)", b::metricsUncachedTimer);
            report(threads, "tracingUnsampled (GatewayTracing, ratio-0 sampler)", b::tracingUnsampled);
            report(threads, "tracingSampled (GatewayTracing, every span recorded)", b::tracingSampled);
        } finally {
            b.tearDown();
        }
    }

    private static void report(ThreadMXBean threads, String name, Supplier<Object> op) {
        Object sink = null;
        for (int i = 0; i < WARMUP; i++) {
            sink = op.get();
        }
        long best = Long.MAX_VALUE;
        for (int batch = 0; batch < BATCHES; batch++) {
            long start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < BATCH; i++) {
                sink = op.get();
            }
            best = Math.min(best, (threads.getCurrentThreadCpuTime() - start) / BATCH);
        }
        System.out.printf(Locale.ROOT, "%-62s %,6d ns CPU/op%s%n", name, best, sink == null ? "?" : "");
    }
}
