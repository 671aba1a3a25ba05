package dev.tollgate.benchmarks.load;

import dev.tollgate.examples.demo.DemoBackend;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * End-to-end load driver: the demo backend directly, behind Undertow's {@code ProxyHandler}, and
 * behind Tollgate, measured in one run on this machine so the figures can be compared.
 *
 * <p>All targets are started at once, each on its own threads. Then {@code --rounds} rounds of
 * closed-loop throughput runs, every target once per round, back to back, in an order rotated
 * each round ({@link Rounds#order}) so a drift of the shared machine hits all targets alike;
 * throughput is reported as the median over rounds and its ratios as the median of the per-round
 * ratios. Then one fixed-rate latency run (corrected for coordinated omission) per target. Every
 * run has its own warm-up and fresh connections; during each measured window the CPU time of the
 * target's own threads is read ({@link ThreadCpu}) and reported per request. Every in-process
 * server gets the same number of IO threads. Exits 1 if any run had an error, 2 on bad
 * arguments.
 *
 * <pre>java -cp gateway-benchmarks/target/benchmarks.jar dev.tollgate.benchmarks.load.LoadDriver --duration=10</pre>
 */
public final class LoadDriver {

    private static final PrintStream OUT = System.out;

    private LoadDriver() {
    }

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--help")) {
            OUT.print(DriverOptions.usage());
            return;
        }
        DriverOptions options;
        try {
            options = DriverOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.print(DriverOptions.usage());
            System.exit(2);
            return;
        }
        printEnvironment(options);
        List<TargetResult> results = options.external().isPresent()
                ? List.of(measureExternal(options))
                : measureInProcess(options);
        printReport(options, results);
        boolean errors = results.stream().anyMatch(r -> r.errors() > 0);
        System.exit(errors ? 1 : 0);
    }

    /**
     * Creates the named target. The one place that knows the implementations.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    static ProxyUnderTest target(String name, int ioThreads) {
        return switch (name) {
            case "direct" -> new DirectTarget();
            case "undertow-proxy" -> new UndertowProxyTarget(ioThreads);
            case "tollgate" -> tollgateTarget(ioThreads);
            case "tollgate-observed" -> new TollgateTarget(ioThreads, true);
            default -> throw new IllegalArgumentException("target: '" + name + "' (known: " + DriverOptions.KNOWN_TARGETS + ")");
        };
    }

    /** Plug-in point for Tollgate: build the gateway-core target here once it is merged. */
    static ProxyUnderTest tollgateTarget(int ioThreads) {
        return new TollgateTarget(ioThreads);
    }

    private static List<TargetResult> measureInProcess(DriverOptions options) throws Exception {
        List<ProxyUnderTest> started = new ArrayList<>();
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0, options.ioThreads())) {
            URI backendUri = URI.create("http://127.0.0.1:" + backend.port());
            OUT.printf("backend: demo at %s%n", backendUri);
            // all targets up at once, each on its own threads; the idle ones cost nothing
            List<Measured> measured = new ArrayList<>();
            List<TargetResult> skipped = new ArrayList<>();
            for (String name : options.targets()) {
                ProxyUnderTest target = target(name, options.ioThreads());
                int port;
                try {
                    started.add(target);
                    port = target.start(backendUri);
                } catch (UnsupportedOperationException e) {
                    OUT.printf("%s: skipped (%s)%n", name, e.getMessage());
                    skipped.add(TargetResult.skipped(name, e.getMessage()));
                    continue;
                }
                LoadTarget load = LoadTarget.of("127.0.0.1", port, options.path());
                checkAnswers(name, load, true);
                OUT.printf("%s: %s, threads %s%n", name, load,
                        target.threadNamePrefix() == null ? "unknown" : "'" + target.threadNamePrefix() + "*'");
                measured.add(new Measured(name, load, target.threadNamePrefix(), options));
            }
            OUT.println();
            List<TargetResult> results = measure(measured, options);
            List<TargetResult> ordered = new ArrayList<>();
            for (String name : options.targets()) { // report in the requested order
                results.stream().filter(r -> r.name().equals(name)).forEach(ordered::add);
                skipped.stream().filter(r -> r.name().equals(name)).forEach(ordered::add);
            }
            return ordered;
        } finally {
            for (ProxyUnderTest target : started) {
                target.close();
            }
        }
    }

    private static TargetResult measureExternal(DriverOptions options) throws Exception {
        URI uri = options.external().orElseThrow();
        LoadTarget load = LoadTarget.of(uri, options.path());
        checkAnswers("external", load, false);
        return measure(List.of(new Measured("external", load, null, options)), options).get(0);
    }

    /**
     * The closed-loop runs of all targets in {@code options.rounds()} rounds, each round in a
     * rotated order, then one fixed-rate run per target.
     */
    private static List<TargetResult> measure(List<Measured> targets, DriverOptions options) throws Exception {
        int rounds = options.rounds();
        for (int round = 0; round < rounds; round++) {
            List<Measured> order = Rounds.order(targets, round);
            OUT.printf("round %d/%d: closed loop, %d connections, %ds warm-up + %ds each, order %s%n", round + 1, rounds,
                    options.connections(), options.warmup().toSeconds(), options.duration().toSeconds(),
                    order.stream().map(Measured::name).collect(Collectors.joining(", ")));
            for (Measured m : order) {
                ThreadCpu.Meter meter = m.meter();
                System.gc();
                LoadResult closed = m.generator().closedLoop(options.warmup(), options.duration(), meter);
                m.closed()[round] = closed;
                m.closedCpuNanos()[round] = meter.nanos();
                OUT.printf("  %-15s %,9.0f req/s, cpu %s us/req, errors %d%s%n", m.name(), closed.requestsPerSecond(),
                        fmt(cpuMicrosPerRequest(meter.nanos(), closed), "%.1f"), closed.errors(), firstError(closed));
            }
        }
        // latency too is sampled once per round, in the same rotation: one window's p99 is mostly
        // whatever the shared cores and the collector did in it, the median over rounds is not
        Map<Measured, LoadResult[]> fixed = new LinkedHashMap<>();
        Map<Measured, long[]> fixedCpu = new LinkedHashMap<>();
        for (Measured m : targets) {
            fixed.put(m, new LoadResult[rounds]);
            fixedCpu.put(m, new long[rounds]);
        }
        for (int round = 0; round < rounds; round++) {
            List<Measured> order = Rounds.order(targets, round);
            OUT.printf("round %d/%d: fixed rate %d req/s, %ds warm-up + %ds each, order %s%n", round + 1, rounds,
                    options.rate(), options.warmup().toSeconds(), options.duration().toSeconds(),
                    order.stream().map(Measured::name).collect(Collectors.joining(", ")));
            for (Measured m : order) {
                ThreadCpu.Meter meter = m.meter();
                System.gc();
                LoadResult run = m.generator().fixedRate(options.rate(), options.warmup(), options.duration(), meter);
                fixed.get(m)[round] = run;
                fixedCpu.get(m)[round] = meter.nanos();
                OUT.printf("  %-15s p50 %d us, p99 %d us, cpu %s us/req, errors %d%s%n", m.name(),
                        p(run.latencyMicros(), 50), p(run.latencyMicros(), 99),
                        fmt(cpuMicrosPerRequest(meter.nanos(), run), "%.1f"), run.errors(), firstError(run));
            }
        }
        List<TargetResult> results = new ArrayList<>();
        for (Measured m : targets) {
            results.add(new TargetResult(m.name(), m.prefix(), List.of(m.closed()), m.closedCpuNanos().clone(),
                    List.of(fixed.get(m)), fixedCpu.get(m), null));
        }
        OUT.println();
        return results;
    }

    /** One plain request first, so a misconfigured target fails loudly instead of as a load of errors. */
    private static void checkAnswers(String name, LoadTarget target, boolean expectDemo) throws Exception {
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        URI uri = URI.create(target.toString());
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 || (expectDemo && !response.body().contains("\"backend\":\"demo\""))) {
            throw new IllegalStateException(name + ": GET " + uri + " answered " + response.statusCode() + " "
                    + abbreviate(response.body()) + " (expected: 200 from the demo backend)");
        }
    }

    private static void printEnvironment(DriverOptions options) {
        Runtime runtime = Runtime.getRuntime();
        String gcs = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", "));
        OUT.printf("Tollgate load driver%n");
        OUT.printf("java: %s (%s %s), cores: %d, max heap: %d MiB, gc: %s%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                System.getProperty("java.vm.version"), runtime.availableProcessors(),
                runtime.maxMemory() / (1024 * 1024), gcs);
        OUT.printf("os: %s %s %s%n", System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("os.arch"));
        OUT.printf("options: connections=%d duration=%ds warmup=%ds rate=%d/s path=%s io-threads=%d max-requests=%d %s%n",
                options.connections(), options.duration().toSeconds(), options.warmup().toSeconds(), options.rate(),
                options.path(), options.ioThreads(), options.maxRequests(),
                options.external().map(u -> "external=" + u).orElse("targets=" + String.join(",", options.targets())));
        OUT.printf("note: load generator, backend and proxies share this JVM and these cores; "
                + "compare targets within one run, not across machines.%n%n");
    }

    private static void printReport(DriverOptions options, List<TargetResult> results) {
        TargetResult direct = find(results, "direct");
        TargetResult proxy = find(results, "undertow-proxy");
        OUT.printf("req/s: closed loop, %d connections, median of %d rounds (min-max); x direct, x proxy: median of "
                + "the per-round ratios.%n", options.connections(), options.rounds());
        OUT.printf("cpu cl, cpu fr: CPU time of the target's own threads per request, in microseconds (per-thread "
                + "CPU time, warm-up excluded; direct: the backend's), closed loop and fixed rate, medians of rounds.%n");
        OUT.printf("Latency: fixed rate %d req/s, from intended send time (coordinated omission corrected), "
                + "microseconds; each percentile the median over rounds, +p50/+p99 the median of the per-round "
                + "differences to direct.%n", options.rate());
        String header = String.format("%-15s %9s %15s %8s %8s %8s %8s %7s %7s %7s %7s %7s %7s",
                "target", "req/s", "min-max", "x direct", "x proxy", "cpu cl", "cpu fr",
                "p50", "p99", "p99.9", "+p50", "+p99", "errors");
        OUT.println(header);
        OUT.println("-".repeat(header.length()));
        for (TargetResult r : results) {
            if (r.skipped() != null) {
                OUT.printf("%-15s skipped: %s%n", r.name(), r.skipped());
                continue;
            }
            double[] rps = r.rps();
            OUT.printf("%-15s %9.0f %15s %8s %8s %8s %8s %7d %7d %7d %7s %7s %7d%n",
                    r.name(), Rounds.median(rps),
                    String.format(Locale.ROOT, "%.0f-%.0f", Rounds.min(rps), Rounds.max(rps)),
                    ratio(r, direct), ratio(r, proxy),
                    fmt(Rounds.median(r.closedCpuMicrosPerRequest()), "%.1f"),
                    fmt(Rounds.median(r.fixedCpuMicrosPerRequest()), "%.1f"),
                    (long) Rounds.median(r.fixedPercentile(50)), (long) Rounds.median(r.fixedPercentile(99)),
                    (long) Rounds.median(r.fixedPercentile(99.9)),
                    added(r, direct, 50), added(r, direct, 99),
                    r.errors());
        }
        TargetResult tollgate = find(results, "tollgate");
        TargetResult observed = find(results, "tollgate-observed");
        if (tollgate != null && observed != null) {
            OUT.printf("observability cost, tollgate-observed vs tollgate: throughput %s, cpu per request %s closed loop "
                    + "and %s fixed rate (medians of the per-round ratios), p50 %+d us, p99 %+d us (medians of the "
                    + "per-round differences)%n",
                    fmt(Rounds.medianRatio(observed.rps(), tollgate.rps()), "%.3f"),
                    fmt(Rounds.medianRatio(observed.closedCpuMicrosPerRequest(), tollgate.closedCpuMicrosPerRequest()), "%.3f"),
                    fmt(Rounds.medianRatio(observed.fixedCpuMicrosPerRequest(), tollgate.fixedCpuMicrosPerRequest()), "%.3f"),
                    (long) medianDifference(observed, tollgate, 50), (long) medianDifference(observed, tollgate, 99));
        }
        if (tollgate != null && proxy != null) {
            OUT.printf("cpu per request, tollgate / undertow-proxy: closed loop %s, fixed rate %s (medians of the "
                    + "per-round ratios)%n",
                    fmt(Rounds.medianRatio(tollgate.closedCpuMicrosPerRequest(), proxy.closedCpuMicrosPerRequest()), "%.2f"),
                    fmt(Rounds.medianRatio(tollgate.fixedCpuMicrosPerRequest(), proxy.fixedCpuMicrosPerRequest()), "%.2f"));
        }
        OUT.println();
        OUT.println("Details");
        for (TargetResult r : results) {
            if (r.skipped() != null) {
                continue;
            }
            OUT.printf("%s%s%n", r.name(), r.prefix() == null ? "" : " (cpu: threads '" + r.prefix() + "*')");
            for (int round = 0; round < r.closed().size(); round++) {
                LoadResult c = r.closed().get(round);
                OUT.printf("  closed loop round %d: %,d ok in %.0fs = %,.0f req/s; cpu %s us/req; service time p50 %d, "
                        + "p99 %d, max %d us; errors: non-2xx %d, io %d, unfinished %d%s%n",
                        round + 1, c.completed(), c.measuredSeconds(), c.requestsPerSecond(),
                        fmt(r.closedCpuMicrosPerRequest()[round], "%.1f"),
                        p(c.serviceMicros(), 50), p(c.serviceMicros(), 99), c.serviceMicros().getMaxValue(),
                        c.non2xx(), c.ioErrors(), c.unfinished(), firstError(c));
            }
            for (int round = 0; round < r.fixed().size(); round++) {
                LoadResult f = r.fixed().get(round);
                OUT.printf("  fixed rate round %d: %,d ok in %.0fs = %,.0f req/s; cpu %s us/req; corrected p50 %d, p90 %d, "
                        + "p99 %d, p99.9 %d, max %d us%n",
                        round + 1, f.completed(), f.measuredSeconds(), f.requestsPerSecond(),
                        fmt(r.fixedCpuMicrosPerRequest()[round], "%.1f"),
                        p(f.latencyMicros(), 50), p(f.latencyMicros(), 90), p(f.latencyMicros(), 99),
                        p(f.latencyMicros(), 99.9), f.latencyMicros().getMaxValue());
                OUT.printf("               uncorrected p50 %d, p99 %d us; send lag (pacer slop + queueing) p50 %d, p99 %d us; "
                        + "errors: non-2xx %d, io %d, unfinished %d%s%n",
                        p(f.serviceMicros(), 50), p(f.serviceMicros(), 99),
                        p(f.sendLagMicros(), 50), p(f.sendLagMicros(), 99),
                        f.non2xx(), f.ioErrors(), f.unfinished(), firstError(f));
            }
        }
    }

    private static TargetResult find(List<TargetResult> results, String name) {
        return results.stream().filter(r -> r.name().equals(name) && r.skipped() == null).findFirst().orElse(null);
    }

    /** Median of the per-round throughput ratios of {@code r} to {@code reference}. */
    private static String ratio(TargetResult r, TargetResult reference) {
        if (reference == null) {
            return "-";
        }
        return fmt(Rounds.medianRatio(r.rps(), reference.rps()), "%.2f");
    }

    /** Median over rounds of this target's latency percentile minus direct's in the same round. */
    private static String added(TargetResult r, TargetResult direct, double percentile) {
        if (direct == null) {
            return "-";
        }
        return String.format(Locale.ROOT, "%+d", (long) medianDifference(r, direct, percentile));
    }

    /** Median over rounds of {@code r}'s latency percentile minus {@code reference}'s in the same round. */
    private static double medianDifference(TargetResult r, TargetResult reference, double percentile) {
        double[] mine = r.fixedPercentile(percentile);
        double[] theirs = reference.fixedPercentile(percentile);
        double[] diff = new double[Math.min(mine.length, theirs.length)];
        for (int i = 0; i < diff.length; i++) {
            diff[i] = mine[i] - theirs[i];
        }
        return Rounds.median(diff);
    }

    /** CPU microseconds per completed request, NaN if not measured. */
    private static double cpuMicrosPerRequest(long cpuNanos, LoadResult result) {
        return cpuNanos < 0 || result.completed() == 0 ? Double.NaN : cpuNanos / 1000.0 / result.completed();
    }

    private static String fmt(double value, String format) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static long p(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile);
    }

    private static String firstError(LoadResult r) {
        return r.firstError().isEmpty() ? "" : " (first: " + r.firstError() + ")";
    }

    private static String abbreviate(String body) {
        return body.length() <= 200 ? body : body.substring(0, 200) + "...";
    }

    /** One target being measured: its generator, CPU prefix and the closed-loop results by round. */
    private record Measured(String name, LoadTarget load, String prefix, LoadGenerator generator,
                            LoadResult[] closed, long[] closedCpuNanos) {

        Measured(String name, LoadTarget load, String prefix, DriverOptions options) {
            this(name, load, prefix, new LoadGenerator(load, options.connections(), options.maxRequests()),
                    new LoadResult[options.rounds()], new long[options.rounds()]);
        }

        /** A CPU meter for this target's threads; measures nothing if they are unknown. */
        ThreadCpu.Meter meter() {
            return new ThreadCpu.Meter(prefix);
        }
    }

    /**
     * All runs of one target, or why it was skipped.
     *
     * @param closed closed-loop result per round
     * @param closedCpuNanos CPU of the target's threads per round, -1 if not measured
     * @param fixed fixed-rate result per round
     * @param fixedCpuNanos CPU of the target's threads per fixed-rate round, -1 if not measured
     */
    private record TargetResult(String name, String prefix, List<LoadResult> closed, long[] closedCpuNanos,
                                List<LoadResult> fixed, long[] fixedCpuNanos, String skipped) {

        static TargetResult skipped(String name, String why) {
            return new TargetResult(name, null, List.of(), new long[0], List.of(), new long[0], why);
        }

        double[] rps() {
            return closed.stream().mapToDouble(LoadResult::requestsPerSecond).toArray();
        }

        double[] closedCpuMicrosPerRequest() {
            double[] out = new double[closed.size()];
            for (int r = 0; r < out.length; r++) {
                out[r] = prefix == null ? Double.NaN : cpuMicrosPerRequest(closedCpuNanos[r], closed.get(r));
            }
            return out;
        }

        double[] fixedCpuMicrosPerRequest() {
            double[] out = new double[fixed.size()];
            for (int r = 0; r < out.length; r++) {
                out[r] = prefix == null ? Double.NaN : cpuMicrosPerRequest(fixedCpuNanos[r], fixed.get(r));
            }
            return out;
        }

        /** The latency percentile of each fixed-rate round. */
        double[] fixedPercentile(double percentile) {
            return fixed.stream().mapToDouble(f -> p(f.latencyMicros(), percentile)).toArray();
        }

        long errors() {
            return skipped != null ? 0 : closed.stream().mapToLong(LoadResult::errors).sum()
                    + fixed.stream().mapToLong(LoadResult::errors).sum();
        }
    }
}
