package dev.tollgate.benchmarks.jmh;

import dev.tollgate.middleware.Middleware;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The per-request cost of a compiled chain of five pass-through middleware against the bare
 * terminal handler. Each middleware wraps {@code next} in a new lambda (not identity), so every
 * request goes through five extra handler calls.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class MiddlewareChainBenchmark {

    private HttpHandler none;
    private HttpHandler five;
    private HttpServerExchange exchange;

    @Setup
    public void setUp(Blackhole bh) {
        HttpHandler terminal = bh::consume;
        none = Middleware.chain(List.of(), terminal);
        List<Middleware> middleware = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            middleware.add(next -> exchange -> next.handleRequest(exchange));
        }
        five = Middleware.chain(middleware, terminal);

        exchange = new HttpServerExchange(null);
        exchange.setRequestMethod(Methods.GET);
        exchange.getRequestHeaders().put(Headers.HOST, "api.example.com");
    }

    @Benchmark
    public void chainOf0() throws Exception {
        none.handleRequest(exchange);
    }

    @Benchmark
    public void chainOf5() throws Exception {
        five.handleRequest(exchange);
    }
}
