package dev.tollgate.resilience;

import dev.tollgate.Gateway;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.BreakerState;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** What the resilience tests share: backends that fail on cue, a recording listener, a client. */
final class Fixture implements AutoCloseable {

    /** One attempt as the listener saw it. */
    record Attempt(int port, int attempt, AttemptOutcome outcome, int status) {
    }

    /** One breaker transition. */
    record Transition(String upstream, Endpoint endpoint, BreakerState from, BreakerState to) {
    }

    final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    final Queue<Transition> transitions = new ConcurrentLinkedQueue<>();
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final List<AutoCloseable> resources = new ArrayList<>();

    final GatewayListener listener = new GatewayListener() {
        @Override
        public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                     AttemptOutcome outcome, int status, long durationNanos) {
            attempts.add(new Attempt(endpoint == null ? 0 : endpoint.port(), attempt, outcome, status));
        }

        @Override
        public void breakerStateChanged(String upstream, Endpoint endpoint, BreakerState from, BreakerState to) {
            transitions.add(new Transition(upstream, endpoint, from, to));
        }
    };

    <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    /**
     * A backend that reads the whole body, then answers {@code status.apply(n)} for its n-th request
     * (from 0) with a body {@code name:bytes}; a status of 0 means "echo 200". Counts requests.
     */
    TestBackend backend(String name, AtomicInteger count, IntFunction<Integer> status) {
        return track(TestBackend.start(name, (HttpHandler) ex -> ex.getRequestReceiver().receiveFullBytes((e, bytes) -> {
            int n = count.getAndIncrement();
            int s = status.apply(n);
            e.setStatusCode(s == 0 ? 200 : s);
            e.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            e.getResponseSender().send(name + ":" + bytes.length + ":" + TestBackend.checksum(bytes));
        })));
    }

    Gateway start(Gateway.Builder builder) {
        Gateway g = builder.host("127.0.0.1").port(0).listener(listener).build().start();
        resources.add(() -> g.stop(Duration.ofSeconds(1)));
        return g;
    }

    static URI uri(Gateway g, String path) {
        return URI.create("http://127.0.0.1:" + g.port() + path);
    }

    HttpResponse<String> get(Gateway g, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(g, path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(Gateway g, String method, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(g, path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = TestBackend.patternByte(i);
        }
        return b;
    }

    static String expectedBody(String name, byte[] body) {
        return name + ":" + body.length + ":" + TestBackend.checksum(body);
    }

    static void assertProblem(HttpResponse<String> r, int status, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"" + code + "\"");
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }
}
