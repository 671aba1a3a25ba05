package dev.tollgate.benchmarks.jmh;

import dev.tollgate.Limits;
import dev.tollgate.internal.RequestGuard;
import io.undertow.server.HttpHandler;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.Protocols;
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

import java.util.concurrent.TimeUnit;

/**
 * The gateway's request-header work per request: {@link RequestGuard} with {@link Limits#defaults()}
 * (header count and size, Host, Content-Length / Transfer-Encoding framing) on a realistic
 * HTTP/1.1 GET with 12 headers, passing to a terminal that consumes the exchange.
 *
 * <p>{@code RequestGuard.check} and the proxy's hop-by-hop filter are package-private, so this goes
 * through the public {@code handleRequest}. That also calls {@code exchange.setMaxEntitySize}, which
 * notifies the connection; the exchange gets a {@link StubConnection} whose notification is a no-op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class HeaderProcessingBenchmark {

    private HttpHandler guard;
    private HttpServerExchange exchange;

    @Setup
    public void setUp(Blackhole bh) throws Exception {
        guard = new RequestGuard(bh::consume, Limits.defaults());

        exchange = new HttpServerExchange(new StubConnection());
        exchange.setProtocol(Protocols.HTTP_1_1);
        exchange.setRequestMethod(Methods.GET);
        exchange.setRequestURI("/api/v1/orders/42");
        exchange.setRequestPath("/api/v1/orders/42");
        var h = exchange.getRequestHeaders();
        h.put(Headers.HOST, "api.example.com");
        h.put(Headers.USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
        h.put(Headers.ACCEPT, "application/json, text/plain, */*");
        h.put(Headers.ACCEPT_ENCODING, "gzip, deflate, br");
        h.put(Headers.ACCEPT_LANGUAGE, "en-US,en;q=0.9,de;q=0.8");
        h.put(Headers.AUTHORIZATION, "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUgRG9lIiwiaWF0IjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJlLXBsYWNlaG9sZGVyLXNpZ25hdHVyZS1wbGFjZWhvbGRlcg");
        h.put(Headers.COOKIE, "session=3f2a9c1e8b7d4a6f; theme=dark; _ga=GA1.2.1234567890.1700000000");
        h.put(HttpString.tryFromString("X-Request-ID"), "6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b");
        h.put(Headers.CONTENT_TYPE, "application/json");
        h.put(Headers.CONTENT_LENGTH, "0");
        h.put(Headers.CONNECTION, "keep-alive");
        h.put(Headers.X_FORWARDED_FOR, "203.0.113.7, 198.51.100.23");
        // a GET with Content-Length 0 has no body: the parser marks such a request complete, so the guard
        // adds no body wrapper (which would pile up on this one reused exchange)
        Connectors.terminateRequest(exchange);

        // the request must pass the guard, or the benchmark would measure the rejection path
        boolean[] passed = {false};
        new RequestGuard(ex -> passed[0] = true, Limits.defaults()).handleRequest(exchange);
        if (!passed[0] || exchange.isResponseStarted() || !exchange.isRequestComplete()) {
            throw new IllegalStateException("the benchmark request was rejected by RequestGuard");
        }
    }

    @Benchmark
    public void requestGuard() throws Exception {
        guard.handleRequest(exchange);
    }
}
