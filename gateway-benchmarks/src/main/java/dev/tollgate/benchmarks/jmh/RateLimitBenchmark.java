package dev.tollgate.benchmarks.jmh;

import dev.tollgate.auth.Principal;
import dev.tollgate.middleware.ratelimit.Limit;
import dev.tollgate.middleware.ratelimit.RateLimit;
import dev.tollgate.middleware.ratelimit.RateLimitKey;
import dev.tollgate.middleware.ratelimit.internal.Decision;
import dev.tollgate.middleware.ratelimit.internal.LocalBuckets;
import dev.tollgate.middleware.ratelimit.internal.Policies;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The cost of a local rate-limit decision on the IO thread: {@code decision} is the store alone
 * (Caffeine lookup and bucket4j's lock-free consumption over two limits, among {@code keys} hot
 * keys); {@code middleware} is the whole handler for an authenticated user (key from the principal,
 * decision, event, response-header hook on a fresh exchange) minus {@code freshExchange}, the cost
 * of the exchange itself. Limits are high enough that every request passes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class RateLimitBenchmark {

    @Param({"1000"})
    public int keys;

    private LocalBuckets buckets;
    private String[] keyNames;
    private int next;
    private RateLimit rateLimit;
    private HttpHandler handler;
    private Principal[] principals;

    @Setup
    public void setUp(Blackhole bh) {
        List<Limit> limits = List.of(Limit.of("burst", 1_000_000_000L, Duration.ofSeconds(1)),
                Limit.of("daily", 1_000_000_000_000L, Duration.ofDays(1)));
        buckets = new LocalBuckets(new Policies(limits, true, false), 100_000, Duration.ofMinutes(10));
        keyNames = new String[keys];
        principals = new Principal[keys];
        for (int i = 0; i < keys; i++) {
            keyNames[i] = "203.0.113." + i;
            principals[i] = Principal.of("user-" + i, Map.of(), Set.of());
        }
        RateLimit.Builder b = RateLimit.builder().key(RateLimitKey.user());
        limits.forEach(b::limit);
        rateLimit = b.build();
        handler = rateLimit.wrap(bh::consume);
    }

    @TearDown
    public void tearDown() {
        rateLimit.close();
    }

    private int nextIndex() {
        int i = next;
        next = i + 1 == keys ? 0 : i + 1;
        return i;
    }

    @Benchmark
    public Decision decision() {
        return buckets.tryConsume(keyNames[nextIndex()], 1);
    }

    @Benchmark
    public void middleware() throws Exception {
        HttpServerExchange exchange = BenchExchanges.browserGet();
        principals[nextIndex()].attach(exchange);
        handler.handleRequest(exchange);
    }

    @Benchmark
    public HttpServerExchange freshExchange() {
        HttpServerExchange exchange = BenchExchanges.browserGet();
        principals[nextIndex()].attach(exchange);
        return exchange;
    }
}
