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
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * End-to-end load driver: the demo backend directly, behind Undertow's {@code ProxyHandler}, and
 * behind Tollgate, measured in one run on this machine so the figures can be compared.
 *
 * <p>For each target: a closed-loop throughput run, then a fixed-rate latency run (corrected for
 * coordinated omission), each after its own warm-up and on fresh connections. Every in-process
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
            default -> throw new IllegalArgumentException("target: '" + name + "' (known: " + DriverOptions.KNOWN_TARGETS + ")");
        };
    }

    /** Plug-in point for Tollgate: build the gateway-core target here once it is merged. */
    static ProxyUnderTest tollgateTarget(int ioThreads) {
        return new TollgateTarget(ioThreads);
    }

    private static List<TargetResult> measureInProcess(DriverOptions options) throws Exception {
        List<TargetResult> results = new ArrayList<>();
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0, options.ioThreads())) {
            URI backendUri = URI.create("http://127.0.0.1:" + backend.port());
            OUT.printf("backend: demo at %s%n%n", backendUri);
            for (String name : options.targets()) {
                ProxyUnderTest target = target(name, options.ioThreads());
                try {
                    int port;
                    try {
                        port = target.start(backendUri);
                    } catch (UnsupportedOperationException e) {
                        OUT.printf("%s: skipped (%s)%n%n", name, e.getMessage());
                        results.add(TargetResult.skipped(name, e.getMessage()));
                        continue;
                    }
                    results.add(measure(name, LoadTarget.of("127.0.0.1", port, options.path()), true, options));
                } finally {
                    target.close();
                }
            }
        }
        return results;
    }

    private static TargetResult measureExternal(DriverOptions options) throws Exception {
        URI uri = options.external().orElseThrow();
        return measure("external", LoadTarget.of(uri, options.path()), false, options);
    }

    private static TargetResult measure(String name, LoadTarget target, boolean expectDemo, DriverOptions options)
            throws Exception {
        checkAnswers(name, target, expectDemo);
        LoadGenerator generator = new LoadGenerator(target, options.connections(), options.maxRequests());
        OUT.printf("%s: %s closed loop, %d connections, %ds warm-up + %ds ...%n", name, target,
                options.connections(), options.warmup().toSeconds(), options.duration().toSeconds());
        System.gc();
        LoadResult closed = generator.closedLoop(options.warmup(), options.duration());
        OUT.printf("  %,.0f req/s, errors %d%s%n", closed.requestsPerSecond(), closed.errors(), firstError(closed));
        OUT.printf("%s: fixed rate %d req/s, %ds warm-up + %ds ...%n", name, options.rate(),
                options.warmup().toSeconds(), options.duration().toSeconds());
        System.gc();
        LoadResult fixed = generator.fixedRate(options.rate(), options.warmup(), options.duration());
        OUT.printf("  p50 %d us, p99 %d us, errors %d%s%n%n", p(fixed.latencyMicros(), 50), p(fixed.latencyMicros(), 99),
                fixed.errors(), firstError(fixed));
        return new TargetResult(name, closed, fixed, null);
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
        OUT.printf("Throughput: closed loop, %d connections. Latency: fixed rate %d req/s, from intended send time "
                + "(coordinated omission corrected), microseconds.%n", options.connections(), options.rate());
        String header = String.format("%-15s %10s %9s %9s %8s %8s %9s %9s %9s %7s",
                "target", "req/s", "x direct", "x proxy", "p50", "p99", "p99.9", "+p50", "+p99", "errors");
        OUT.println(header);
        OUT.println("-".repeat(header.length()));
        for (TargetResult r : results) {
            if (r.skipped() != null) {
                OUT.printf("%-15s skipped: %s%n", r.name(), r.skipped());
                continue;
            }
            double rps = r.closed().requestsPerSecond();
            Histogram h = r.fixed().latencyMicros();
            OUT.printf("%-15s %10.0f %9s %9s %8d %8d %9d %9s %9s %7d%n",
                    r.name(), rps,
                    ratio(rps, direct), ratio(rps, proxy),
                    p(h, 50), p(h, 99), p(h, 99.9),
                    added(h, direct, 50), added(h, direct, 99),
                    r.errors());
        }
        OUT.println();
        OUT.println("Details");
        for (TargetResult r : results) {
            if (r.skipped() != null) {
                continue;
            }
            LoadResult c = r.closed();
            LoadResult f = r.fixed();
            OUT.printf("%s%n", r.name());
            OUT.printf("  closed loop: %,d ok in %.0fs = %,.0f req/s; service time p50 %d, p99 %d, max %d us; "
                    + "errors: non-2xx %d, io %d, unfinished %d%s%n",
                    c.completed(), c.measuredSeconds(), c.requestsPerSecond(),
                    p(c.serviceMicros(), 50), p(c.serviceMicros(), 99), c.serviceMicros().getMaxValue(),
                    c.non2xx(), c.ioErrors(), c.unfinished(), firstError(c));
            OUT.printf("  fixed rate:  %,d ok in %.0fs = %,.0f req/s; corrected p50 %d, p90 %d, p99 %d, p99.9 %d, max %d us%n",
                    f.completed(), f.measuredSeconds(), f.requestsPerSecond(),
                    p(f.latencyMicros(), 50), p(f.latencyMicros(), 90), p(f.latencyMicros(), 99),
                    p(f.latencyMicros(), 99.9), f.latencyMicros().getMaxValue());
            OUT.printf("               uncorrected p50 %d, p99 %d us; send lag (pacer slop + queueing) p50 %d, p99 %d us; "
                    + "errors: non-2xx %d, io %d, unfinished %d%s%n",
                    p(f.serviceMicros(), 50), p(f.serviceMicros(), 99),
                    p(f.sendLagMicros(), 50), p(f.sendLagMicros(), 99),
                    f.non2xx(), f.ioErrors(), f.unfinished(), firstError(f));
        }
    }

    private static TargetResult find(List<TargetResult> results, String name) {
        return results.stream().filter(r -> r.name().equals(name) && r.skipped() == null).findFirst().orElse(null);
    }

    private static String ratio(double rps, TargetResult reference) {
        if (reference == null || reference.closed().requestsPerSecond() == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", rps / reference.closed().requestsPerSecond());
    }

    private static String added(Histogram h, TargetResult direct, double percentile) {
        if (direct == null) {
            return "-";
        }
        return String.format(Locale.ROOT, "%+d", p(h, percentile) - p(direct.fixed().latencyMicros(), percentile));
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

    /** Both runs of one target, or why it was skipped. */
    private record TargetResult(String name, LoadResult closed, LoadResult fixed, String skipped) {

        static TargetResult skipped(String name, String why) {
            return new TargetResult(name, null, null, why);
        }

        long errors() {
            return skipped != null ? 0 : closed.errors() + fixed.errors();
        }
    }
}
