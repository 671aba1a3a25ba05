package dev.tollgate.benchmarks.jmh;

import dev.tollgate.middleware.logging.LogFormat;
import dev.tollgate.middleware.logging.RequestLogging;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.RequestId;
import dev.tollgate.route.Route;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the access log costs the IO thread per request: building the line of a routed, proxied GET
 * (request ID, trace ID from {@code traceparent}, client, route, upstream, endpoint, sizes, timings)
 * in text or JSON. The appender's IO is not included: in the standalone runner it happens on
 * logback's async thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class AccessLogBenchmark {

    @Param({"TEXT", "JSON"})
    public LogFormat format;

    private RequestLogging logging;
    private HttpServerExchange exchange;

    @Setup
    public void setUp() {
        logging = RequestLogging.builder().format(format).build();
        exchange = BenchExchanges.browserGet();
        exchange.getRequestHeaders().put(HttpString.tryFromString("traceparent"),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        RequestId.set(exchange, "6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b");
        Route route = Route.prefix("/api/v1/orders").id("orders").to("orders").build();
        exchange.putAttachment(RouteMatch.KEY, new RouteMatch(route, Map.of(), "/api/v1/orders/42"));
        Endpoint endpoint = Endpoint.of("http://10.0.0.12:8080");
        logging.attemptStarted(exchange, "orders", endpoint, 1);
        logging.attemptCompleted(exchange, "orders", endpoint, 1, AttemptOutcome.RESPONSE, 200, 3_456_789);
    }

    @Benchmark
    public String accessLine() {
        return logging.accessLine(exchange, 200, 4_567_890);
    }

    /**
     * The same work timed by this thread's CPU time rather than the wall clock, which a machine shared
     * with other jobs makes useless: prints CPU ns per line for each format, five rounds of 200,000.
     */
    public static void main(String[] args) {
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (LogFormat f : LogFormat.values()) {
            AccessLogBenchmark b = new AccessLogBenchmark();
            b.format = f;
            b.setUp();
            for (int round = 1; round <= 5; round++) {
                long start = cpu.getCurrentThreadCpuTime();
                for (int i = 0; i < 200_000; i++) {
                    sink += b.accessLine().length();
                }
                System.out.printf("%s round %d: %d ns CPU per line%n", f, round, (cpu.getCurrentThreadCpuTime() - start) / 200_000);
            }
        }
        System.out.println("(checksum " + sink + ")");
    }
}
