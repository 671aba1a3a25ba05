package dev.tollgate.benchmarks.jmh;

import dev.tollgate.auth.Principal;
import dev.tollgate.middleware.ratelimit.Limit;
import dev.tollgate.middleware.ratelimit.RateLimit;
import dev.tollgate.middleware.ratelimit.RateLimitKey;
import dev.tollgate.middleware.ratelimit.internal.LocalBuckets;
import dev.tollgate.middleware.ratelimit.internal.Policies;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The same operations as {@link RateLimitBenchmark}, timed by the thread's CPU time instead of the
 * wall clock: on a machine shared with other work, wall-clock averages also count the time the
 * thread waited for a core. Prints one line per round; the last rounds are warm.
 *
 * <pre>java -cp gateway-benchmarks/target/benchmarks.jar dev.tollgate.benchmarks.jmh.RateLimitCpuTime</pre>
 */
public final class RateLimitCpuTime {

    private RateLimitCpuTime() {
    }

    public static void main(String[] args) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<Limit> limits = List.of(Limit.of("burst", 1_000_000_000L, Duration.ofSeconds(1)),
                Limit.of("daily", 1_000_000_000_000L, Duration.ofDays(1)));
        LocalBuckets buckets = new LocalBuckets(new Policies(limits, true, false), 100_000, Duration.ofMinutes(10));
        String[] keys = new String[1000];
        Principal[] principals = new Principal[keys.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = "203.0.113." + i;
            principals[i] = Principal.of("user-" + i, Map.of(), Set.of());
        }
        RateLimit.Builder b = RateLimit.builder().key(RateLimitKey.user());
        limits.forEach(b::limit);
        long[] sink = new long[1];
        try (RateLimit rateLimit = b.build()) {
            HttpHandler handler = rateLimit.wrap(exchange -> sink[0]++);
            int n = 1_000_000;
            for (int round = 1; round <= 6; round++) {
                long c0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    sink[0] += buckets.tryConsume(keys[i % keys.length], 1).remaining()[0];
                }
                long c1 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    HttpServerExchange exchange = BenchExchanges.browserGet();
                    principals[i % keys.length].attach(exchange);
                    sink[0] += exchange.getRequestHeaders().size();
                }
                long c2 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    HttpServerExchange exchange = BenchExchanges.browserGet();
                    principals[i % keys.length].attach(exchange);
                    handler.handleRequest(exchange);
                }
                long c3 = mx.getCurrentThreadCpuTime();
                System.out.printf("round %d: decision %.0f ns, freshExchange %.0f ns, middleware %.0f ns (cpu per op)%n",
                        round, (c1 - c0) / (double) n, (c2 - c1) / (double) n, (c3 - c2) / (double) n);
            }
        }
        System.out.println("(checksum " + sink[0] + ")");
    }
}
