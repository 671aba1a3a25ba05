package dev.tollgate.benchmarks.jmh;

import dev.tollgate.route.Route;
import dev.tollgate.route.internal.Router;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link Router#match} for a routing table of {@code routes} routes: a third templated
 * ({@code /api/v1/service{i}/items/{id}}), a third prefixes ({@code /static{i}/**}), a third exact
 * paths ({@code /exact{i}/health}). {@code hit} matches a templated route in the middle of the
 * table; {@code miss} walks the same branch one segment deeper and then finds nothing (404).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class RouterBenchmark {

    @Param({"10", "1000"})
    public int routes;

    private Router router;
    private HttpServerExchange exchange;
    private String hitPath;
    private String missPath;

    @Setup
    public void setUp() {
        List<Route> list = new ArrayList<>(routes);
        int lastService = 0;
        for (int i = 0; i < routes; i++) {
            Route.Builder b = switch (i % 3) {
                case 0 -> Route.path("/api/v1/service" + i + "/items/{id}");
                case 1 -> Route.prefix("/static" + i);
                default -> Route.path("/exact" + i + "/health");
            };
            list.add(b.handler(ex -> { }).build());
        }
        router = new Router(list);

        int middle = (routes / 2) - ((routes / 2) % 3); // a templated route (i % 3 == 0) near the middle
        hitPath = "/api/v1/service" + middle + "/items/42";
        missPath = "/api/v1/service" + middle + "/orders/42";

        exchange = new HttpServerExchange(null);
        exchange.setRequestMethod(Methods.GET);
        exchange.getRequestHeaders().put(Headers.HOST, "api.example.com");

        if (!(router.match(exchange, hitPath) instanceof Router.Matched)) {
            throw new IllegalStateException("expected a match for " + hitPath);
        }
        if (!(router.match(exchange, missPath) instanceof Router.NotFound)) {
            throw new IllegalStateException("expected 404 for " + missPath);
        }
    }

    @Benchmark
    public void hit(Blackhole bh) {
        bh.consume(router.match(exchange, hitPath));
    }

    @Benchmark
    public void miss(Blackhole bh) {
        bh.consume(router.match(exchange, missPath));
    }
}
