package dev.tollgate.benchmarks.jmh;

import dev.tollgate.Gateway;
import dev.tollgate.resilience.CircuitBreakerPolicy;
import dev.tollgate.resilience.Fallback;
import dev.tollgate.resilience.RetryPolicy;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A request answered by a static fallback while the upstream's breaker is open, end to end over one
 * keep-alive loopback connection: {@code fallback} goes through routing, the proxy engine, the open
 * breaker and the fallback; {@code handler} is the same bytes from a route handler in code, the floor
 * of a round trip through the gateway. The difference is what the breaker and the fallback cost;
 * neither touches an upstream.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class FallbackBenchmark {

    private static final String BODY = "{\"items\":[],\"stale\":true}";
    private static final byte[] REQUEST = ("GET /items HTTP/1.1\r\nHost: bench\r\nAccept: application/json\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    @Param({"fallback", "handler"})
    public String path;

    private Gateway gateway;
    private Socket socket;
    private OutputStream out;
    private InputStream in;
    private final byte[] buffer = new byte[4096];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Fallback fallback = Fallback.response(200, Map.of("Content-Type", "application/json"), BODY);
        Route.Builder route = Route.prefix("/");
        if (path.equals("fallback")) {
            route.to("down").fallback(fallback);
        } else {
            route.handler(ex -> {
                ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
                ex.getResponseSender().send(fallback.body());
            });
        }
        gateway = Gateway.builder().host("127.0.0.1").port(0).ioThreads(1)
                .upstream(Upstream.builder("down").endpoint("http://127.0.0.1:" + dead).retry(RetryPolicy.none())
                        .circuitBreaker(CircuitBreakerPolicy.builder().failureThreshold(1).openFor(Duration.ofHours(1))))
                .route(route)
                .build().start();
        socket = new Socket("127.0.0.1", gateway.port());
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = socket.getInputStream();
        // the first request fails to connect and opens the breaker; every later one is refused by it
        String first = roundTrip();
        if (!first.endsWith(BODY)) {
            throw new IllegalStateException("unexpected answer: " + first);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        socket.close();
        gateway.stop(Duration.ofSeconds(1));
    }

    @Benchmark
    public String request() throws IOException {
        return roundTrip();
    }

    /** Sends the request and reads one response (headers, then Content-Length bytes). */
    private String roundTrip() throws IOException {
        out.write(REQUEST);
        out.flush();
        int n = 0;
        int headerEnd = -1;
        int length = -1;
        while (true) {
            int r = in.read(buffer, n, buffer.length - n);
            if (r < 0) {
                throw new IOException("closed");
            }
            n += r;
            if (headerEnd < 0) {
                String head = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
                int end = head.indexOf("\r\n\r\n");
                if (end >= 0) {
                    headerEnd = end + 4;
                    int cl = head.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
                    length = Integer.parseInt(head.substring(cl + 15, head.indexOf("\r\n", cl)).trim());
                }
            }
            if (headerEnd >= 0 && n >= headerEnd + length) {
                return new String(buffer, headerEnd, length, StandardCharsets.UTF_8);
            }
        }
    }
}
