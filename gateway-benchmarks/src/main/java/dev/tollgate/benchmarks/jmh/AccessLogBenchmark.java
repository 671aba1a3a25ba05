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
}
