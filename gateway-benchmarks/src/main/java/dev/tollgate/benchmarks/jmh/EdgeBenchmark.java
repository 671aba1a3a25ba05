package dev.tollgate.benchmarks.jmh;

import dev.tollgate.middleware.cors.Cors;
import dev.tollgate.middleware.ipfilter.IpFilter;
import dev.tollgate.middleware.requestid.RequestIdGenerator;
import dev.tollgate.net.Cidr;
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

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The per-request decisions of the edge middleware: an IP filter with 10 and 1,000 ranges (against a
 * linear scan of 1,000 {@link Cidr}s), the CORS origin check on its exact, pattern and refused paths,
 * and generating a request ID. Addresses rotate through 1,024 probes, about half of them in a range.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class EdgeBenchmark {

    private IpFilter filter10;
    private IpFilter filter1000;
    private List<Cidr> linear1000;
    private InetAddress[] probes;
    private int next;
    private Cors cors;
    private final RequestIdGenerator ids = new RequestIdGenerator();

    @Setup
    public void setUp() {
        Random random = new Random(7);
        List<String> ranges = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            ranges.add(i % 4 == 3
                    ? "2001:db8:" + Integer.toHexString(random.nextInt(65536)) + "::/48"
                    : "10." + random.nextInt(256) + "." + random.nextInt(256) + ".0/" + (20 + random.nextInt(9)));
        }
        filter10 = IpFilter.allow(ranges.subList(0, 10).toArray(String[]::new)).build();
        filter1000 = IpFilter.allow(ranges.toArray(String[]::new)).build();
        linear1000 = ranges.stream().map(Cidr::parse).toList();
        probes = new InetAddress[1024];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = Cidr.parseAddress(i % 4 == 3
                    ? "2001:db8:" + Integer.toHexString(random.nextInt(65536)) + "::1"
                    : "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256));
        }
        cors = Cors.allowOrigins("https://app.example.com", "https://admin.example.com")
                .allowOriginPatterns("https://*.example.org").allowCredentials(true).build();
    }

    private InetAddress probe() {
        return probes[next++ & 1023];
    }

    @Benchmark
    public boolean ipFilter10() {
        return filter10.permits(probe());
    }

    @Benchmark
    public boolean ipFilter1000() {
        return filter1000.permits(probe());
    }

    /** What a filter that tries each range in turn would cost: the baseline the sorted intervals replace. */
    @Benchmark
    public boolean linearScan1000() {
        InetAddress a = probe();
        for (Cidr c : linear1000) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    @Benchmark
    public String corsExactOrigin() {
        return cors.allowOriginFor("https://app.example.com");
    }

    @Benchmark
    public String corsPatternOrigin() {
        return cors.allowOriginFor("https://eu.shop.example.org");
    }

    @Benchmark
    public String corsLookalikeRefused() {
        return cors.allowOriginFor("https://app.example.com.evil.com");
    }

    @Benchmark
    public String requestIdGenerate() {
        return ids.next();
    }
}
