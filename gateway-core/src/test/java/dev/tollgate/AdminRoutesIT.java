package dev.tollgate;

import dev.tollgate.observe.GatewayListener;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import io.undertow.util.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Extra admin routes, the open-connection count, the started event and resources closed on stop. */
class AdminRoutesIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final TestBackend backend = TestBackend.start("b");
    private final List<Gateway> gateways = new ArrayList<>();

    @AfterEach
    void close() {
        gateways.forEach(Gateway::close);
        backend.close();
    }

    private Gateway start(Gateway.Builder b) {
        Gateway g = b.build();
        gateways.add(g);
        return g.start();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Gateway.Builder withAdminRoute(Gateway.Builder b) {
        return b.adminRoute("/metrics", exchange -> {
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            exchange.getResponseSender().send("admin");
        });
    }

    @Test
    void anAdminRouteIsServedOnTheMainPortAheadOfRouting() throws Exception {
        Gateway g = start(withAdminRoute(TestGateway.inFrontOf(backend.uri())));
        assertThat(get(g.port(), "/metrics").body()).isEqualTo("admin");
        assertThat(get(g.port(), "/metrics/x").body()).contains("\"path\":\"/metrics/x\""); // exact path only
        assertThat(backend.requests()).extracting(r -> r.path()).containsExactly("/metrics/x");
    }

    @Test
    void withAnAdminPortTheAdminRouteMovesThere() throws Exception {
        Gateway g = start(withAdminRoute(TestGateway.inFrontOf(backend.uri()).adminPort(0)));
        assertThat(get(g.adminPort(), "/metrics").body()).isEqualTo("admin");
        assertThat(get(g.adminPort(), "/health").statusCode()).isEqualTo(200);
        assertThat(get(g.adminPort(), "/other").statusCode()).isEqualTo(404);
        // on the main port the path is proxied like any other
        assertThat(get(g.port(), "/metrics").body()).contains("\"path\":\"/metrics\"");
    }

    @Test
    void adminRoutesAreValidated() {
        Gateway.Builder b = withAdminRoute(TestGateway.inFrontOf(backend.uri()));
        assertThatThrownBy(() -> b.adminRoute("/metrics", exchange -> { }))
                .hasMessage("adminRoute: '/metrics' is defined twice (expected: one handler per path)");
        assertThatThrownBy(() -> b.adminRoute("metrics", exchange -> { }))
                .hasMessage("adminRoute: 'metrics' (expected: an absolute path such as /health)");
        assertThatThrownBy(() -> TestGateway.inFrontOf(backend.uri()).adminRoute("/ready", exchange -> { }).build())
                .hasMessage("adminRoute /ready is also the health or readiness path (expected: another path)");
    }

    @Test
    void openConnectionsCountsAcceptedConnectionsUntilTheyClose() throws Exception {
        AtomicReference<Gateway> started = new AtomicReference<>();
        Gateway g = start(TestGateway.inFrontOf(backend.uri()).listener(new GatewayListener() {
            @Override
            public void gatewayStarted(Gateway gateway) {
                started.set(gateway);
            }
        }));
        assertThat(started.get()).isSameAs(g);
        assertThat(g.openConnections()).isZero();
        try (RawHttp a = RawHttp.connect(g.port()); RawHttp b = RawHttp.connect(g.port())) {
            Await.until(() -> g.openConnections() == 2, TIMEOUT, "two open connections");
            RawResponse r = a.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n").readResponse(TIMEOUT);
            assertThat(r.status()).isEqualTo(200);
            assertThat(g.openConnections()).isEqualTo(2); // kept alive after its request
            b.close();
            Await.until(() -> g.openConnections() == 1, TIMEOUT, "one connection after a client closed");
        }
        Await.until(() -> g.openConnections() == 0, TIMEOUT, "no connection after both closed");
    }

    @Test
    void resourcesAreClosedWhenTheGatewayStops() {
        List<String> closed = new ArrayList<>();
        Gateway g = start(TestGateway.inFrontOf(backend.uri())
                .onClose(() -> closed.add("first"))
                .onClose(() -> {
                    throw new IllegalStateException("boom");
                })
                .onClose(() -> closed.add("third")));
        assertThat(closed).isEmpty();
        g.stop(Duration.ofSeconds(1));
        assertThat(closed).containsExactly("third", "first"); // last handed over closes first
        g.stop(Duration.ofSeconds(1));
        assertThat(closed).containsExactly("third", "first"); // once
    }
}
