package dev.tollgate.middleware.logging;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.observe.RequestId;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;


/** What the logging tests share: a request-ID middleware, a client, a backend that kills reused connections. */
final class LoggingFixture implements AutoCloseable {

    static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
    private final List<AutoCloseable> owned = new ArrayList<>();

    <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    /** Takes the ID from {@code X-Request-ID}, else numbers requests; a stand-in for the request-ID middleware. */
    static Middleware requestIds() {
        AtomicLong n = new AtomicLong();
        return Middleware.onRequest(ex -> {
            String given = ex.getRequestHeaders().getFirst("X-Request-ID");
            RequestId.set(ex, given != null ? given : "gen-" + n.incrementAndGet());
        });
    }

    Gateway start(Gateway.Builder builder) {
        return own(builder.build().start());
    }

    static HttpRequest.Builder get(Gateway gateway, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path)).timeout(TIMEOUT);
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A port nothing listens on. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        for (int i = owned.size() - 1; i >= 0; i--) {
            owned.get(i).close();
        }
    }
}
