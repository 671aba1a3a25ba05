package dev.tollgate;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.route.Route;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import io.undertow.Undertow;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The user's view: two routes to two upstreams, middleware on all routes and on one, start and stop. */
class GatewayIT {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private TestBackend orders;
    private TestBackend users;
    private Gateway gateway;

    @BeforeEach
    void backends() {
        orders = TestBackend.start("orders");
        users = TestBackend.start("users");
    }

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        orders.close();
        users.close();
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void twoRoutesToTwoUpstreamsWithStripPrefixAndRewrite() throws Exception {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .upstream(Upstream.builder("users").endpoint(users.uri().toString()))
                .route(Route.prefix("/api/orders").stripPrefix(2).to("orders"))
                .route(Route.path("/api/users/{id}").rewrite("^/api/users/(.*)$", "/v2/people/$1").to("users"))
                .build().start();

        HttpResponse<String> o = get("/api/orders/42?expand=items");
        assertThat(o.statusCode()).isEqualTo(200);
        assertThat(o.headers().firstValue("X-Backend")).hasValue("orders");
        assertThat(orders.lastRequest().path()).isEqualTo("/42");
        assertThat(orders.lastRequest().query()).isEqualTo("expand=items");

        HttpResponse<String> u = get("/api/users/7");
        assertThat(u.statusCode()).isEqualTo(200);
        assertThat(u.headers().firstValue("X-Backend")).hasValue("users");
        assertThat(users.lastRequest().path()).isEqualTo("/v2/people/7");

        HttpResponse<String> none = get("/api/other");
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(none.headers().firstValue("Content-Type")).hasValue(ProblemResponder.CONTENT_TYPE);
        assertThat(none.body()).contains("\"code\":\"no-route\"").contains("\"type\":\"https://tollgate.dev/problems/no-route\"");
    }

    @Test
    void methodNotAllowedIsAProblemWithAllow() throws Exception {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .route(Route.prefix("/orders").methods("GET", "POST").to("orders"))
                .build().start();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/orders/1"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET, POST");
        assertThat(r.body()).contains("\"code\":\"method-not-allowed\"");
        assertThat(orders.requestCount()).isZero();
    }

    @Test
    void firstListedMiddlewareIsOutermostOnRequestAndResponse() throws Exception {
        List<String> trace = Collections.synchronizedList(new ArrayList<>());
        Middleware a = tracing("a", trace);
        Middleware b = tracing("b", trace);
        Middleware c = tracing("c", trace);
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .use(a).use(b)
                .route(Route.prefix("/").use(c).to("orders"))
                .build().start();
        HttpResponse<String> r = get("/x");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(trace).containsExactly("a>", "b>", "c>", "<c", "<b", "<a");
        // the request headers added by each layer reach the upstream
        assertThat(orders.lastRequest().headers().get("X-Layer")).containsExactly("a", "b", "c");
    }

    private static Middleware tracing(String name, List<String> trace) {
        return next -> exchange -> {
            trace.add(name + ">");
            exchange.getRequestHeaders().add(HttpString.tryFromString("X-Layer"), name);
            exchange.addResponseCommitListener(ex -> trace.add("<" + name));
            next.handleRequest(exchange);
        };
    }

    @Test
    void middlewareCanShortCircuitOnOneRouteOnly() throws Exception {
        Middleware deny = Middleware.rejectIf(ex -> !ex.getRequestHeaders().contains("X-Token"),
                Problem.FORBIDDEN.withDetail("no token"));
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .upstream(Upstream.builder("users").endpoint(users.uri().toString()))
                .route(Route.prefix("/admin").use(deny).to("users"))
                .route(Route.prefix("/public").to("orders"))
                .build().start();
        HttpResponse<String> denied = get("/admin/x");
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).contains("\"code\":\"forbidden\"").contains("no token");
        assertThat(users.requestCount()).isZero();
        assertThat(get("/admin/x", "X-Token", "t").statusCode()).isEqualTo(200);
        assertThat(get("/public/x").statusCode()).isEqualTo(200);
        assertThat(users.requestCount()).isEqualTo(1);
    }

    @Test
    void routeMatchAndVariablesAreOnTheExchange() throws Exception {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .route(Route.path("/hello/{name}").handler(ex -> ex.getResponseSender().send(
                        "hi " + RouteMatch.of(ex).variable("name") + " via " + RouteMatch.of(ex).route().id())))
                .build().start();
        HttpResponse<String> r = get("/hello/ada");
        assertThat(r.body()).isEqualTo("hi ada via /hello/{name}");
    }

    @Test
    void anExceptionInMiddlewareIsA500ProblemWithoutStackTrace() throws Exception {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .use(next -> exchange -> {
                    throw new IllegalStateException("secret internals");
                })
                .route(Route.prefix("/").to("orders"))
                .build().start();
        HttpResponse<String> r = get("/x");
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).contains("\"code\":\"internal\"").doesNotContain("secret").doesNotContain("Exception");
    }

    @Test
    void healthAndReadiness() throws Exception {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .route(Route.prefix("/").to("orders"))
                .build().start();
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
        HttpResponse<String> ready = get("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\":\"READY\"").contains("\"orders\":{\"reachable\":1,\"endpoints\":1");
    }

    @Test
    void notReadyWhenARequiredUpstreamIsDownAndHealthOnAdminPort() throws Exception {
        int deadPort;
        try (TestBackend gone = TestBackend.start()) {
            deadPort = gone.port();
        }
        gateway = Gateway.builder().host("127.0.0.1").port(0).adminPort(0).readyPath("/readyz")
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .upstream(Upstream.builder("users").endpoint("http://127.0.0.1:" + deadPort))
                .upstream(Upstream.builder("optional").endpoint("http://127.0.0.1:" + deadPort).required(false))
                .route(Route.prefix("/").to("orders"))
                .build().start();
        HttpResponse<String> ready = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.adminPort() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"status\":\"NOT_READY\"").contains("\"users\":{\"reachable\":0");
        // on the main port, /health is an ordinary path now and goes to the route
        assertThat(get("/health").headers().firstValue("X-Backend")).hasValue("orders");
    }

    @Test
    void handlerMountsInAHostsOwnUndertow() throws Exception {
        gateway = Gateway.builder()
                .upstream(Upstream.builder("orders").endpoint(orders.uri().toString()))
                .route(Route.prefix("/").to("orders"))
                .build();
        Undertow host = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(gateway.handler()).build();
        host.start();
        try {
            int port = ((InetSocketAddress) host.getListenerInfo().get(0).getAddress()).getPort();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mounted")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(orders.lastRequest().path()).isEqualTo("/mounted");
            // readiness probes run on the host's worker when mounted
            HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"READY\"");
        } finally {
            // the gateway's pooled upstream connections live on the host's IO threads: release them first
            gateway.close();
            host.stop();
        }
    }

    @Test
    void startTwiceAndStartAfterCloseFailClearly() {
        gateway = Gateway.builder().host("127.0.0.1").port(0).build().start();
        org.assertj.core.api.Assertions.assertThatThrownBy(gateway::start)
                .isInstanceOf(IllegalStateException.class).hasMessage("gateway is already started");
        gateway.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(gateway::start)
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("gateway is closed");
    }

    /** A middleware and a listener that record their close. */
    private static final class Closing implements dev.tollgate.middleware.Middleware,
            dev.tollgate.observe.GatewayListener, AutoCloseable {
        private final String name;
        private final java.util.List<String> closed;

        Closing(String name, java.util.List<String> closed) {
            this.name = name;
            this.closed = closed;
        }

        @Override
        public io.undertow.server.HttpHandler wrap(io.undertow.server.HttpHandler next) {
            return next;
        }

        @Override
        public void close() {
            closed.add(name);
            if (name.equals("throws")) {
                throw new IllegalStateException("boom");
            }
        }
    }

    @Test
    void closeableMiddlewareListenersAndResourcesCloseOnceWithTheGateway() {
        java.util.List<String> closed = new java.util.concurrent.CopyOnWriteArrayList<>();
        Closing shared = new Closing("shared", closed);
        Closing listener = new Closing("listener", closed);
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .onClose(() -> closed.add("resource"))
                .onClose(new Closing("throws", closed))
                .use(shared)
                .listener(listener)
                .route(Route.prefix("/a").use(shared).handler(ex -> ex.getResponseSender().send("a")))
                .build().start();
        assertThat(closed).isEmpty();
        gateway.close();
        assertThat(closed).containsExactly("listener", "shared", "throws", "resource");
        gateway.close();
        assertThat(closed).hasSize(4);
    }
}
