package dev.tollgate.benchmarks.jmh;

import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.HashKey;
import dev.tollgate.upstream.LoadBalancer;
import dev.tollgate.upstream.Upstream;
import dev.tollgate.upstream.UpstreamPool;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
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

import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;

/**
 * The cost of choosing an endpoint: {@code picker.pick(exchange)} of each built-in load balancer over
 * {@code endpoints} endpoints with weights 1 to 4 (so the weighted ones take their weighted paths),
 * on one thread. The request carries {@code X-User-Id} and a {@code session} cookie among 12 headers;
 * {@code sticky} measures the common case, a client whose sticky cookie names a current endpoint.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class LoadBalancerBenchmark {

    @Param({"3", "100"})
    public int endpoints;

    @Param({"roundRobin", "weightedRoundRobin", "leastRequest", "random", "hashHeader", "hashCookie",
            "hashClientAddress", "hashPath", "sticky"})
    public String balancer;

    private LoadBalancer.Picker picker;
    private HttpServerExchange exchange;

    @Setup
    public void setUp() throws ReflectiveOperationException {
        Upstream.Builder spec = Upstream.builder("bench").loadBalancer(balancer());
        for (int i = 0; i < endpoints; i++) {
            spec.endpoint(Endpoint.of("http://10.0." + (i / 250) + "." + (i % 250 + 1) + ":8080", i % 4 + 1));
        }
        UpstreamPool pool = new UpstreamPool(spec.build(), s -> { });
        picker = spec.build().loadBalancer().picker(pool.candidates());
        pool.states()[0].inFlight().set(3);

        exchange = BenchExchanges.browserGet();
        var h = exchange.getRequestHeaders();
        h.put(HttpString.tryFromString("X-User-Id"), "user-8f3a2c91");
        h.put(Headers.ACCEPT_CHARSET, "utf-8");
        // the sticky cookie the gateway issues to a new client (the Set-Cookie value it would send,
        // read from the package-private attachment, as a StubConnection cannot commit a response)
        String stickyCookie = "";
        if (balancer.equals("sticky")) {
            HttpServerExchange newClient = new HttpServerExchange(new StubConnection());
            picker.pick(newClient);
            String setCookie = newClient.getAttachment(stickyKey());
            stickyCookie = "; " + setCookie.substring(0, setCookie.indexOf(';'));
        }
        h.put(Headers.COOKIE, "theme=dark; session=3f2a9c1e8b7d4a6f; _ga=GA1.2.1234567890.1700000000" + stickyCookie);
        if (picker.pick(exchange) < 0) {
            throw new IllegalStateException(balancer + " picked nothing");
        }
        if (balancer.equals("sticky") && exchange.getAttachment(stickyKey()) != null) {
            throw new IllegalStateException("sticky: the cookie did not pin, so this would measure new clients");
        }
    }

    @SuppressWarnings("unchecked")
    private static AttachmentKey<String> stickyKey() throws ReflectiveOperationException {
        Field key = Class.forName("dev.tollgate.upstream.Balancers").getDeclaredField("STICKY_SET_COOKIE");
        key.setAccessible(true);
        return (AttachmentKey<String>) key.get(null);
    }

    private LoadBalancer balancer() {
        return switch (balancer) {
            case "roundRobin" -> LoadBalancer.roundRobin();
            case "weightedRoundRobin" -> LoadBalancer.weightedRoundRobin();
            case "leastRequest" -> LoadBalancer.leastRequest();
            case "random" -> LoadBalancer.random();
            case "hashHeader" -> LoadBalancer.consistentHash(HashKey.header("X-User-Id"));
            case "hashCookie" -> LoadBalancer.consistentHash(HashKey.cookie("session"));
            case "hashClientAddress" -> LoadBalancer.consistentHash(HashKey.clientAddress());
            case "hashPath" -> LoadBalancer.consistentHash(HashKey.path());
            case "sticky" -> LoadBalancer.sticky("TG_STICKY", LoadBalancer.weightedRoundRobin());
            default -> throw new IllegalArgumentException("balancer: " + balancer);
        };
    }

    @Benchmark
    public int pick() {
        return picker.pick(exchange);
    }
}
