package dev.tollgate.examples.embedded;

import dev.tollgate.Gateway;
import dev.tollgate.examples.middleware.AddHeader;
import dev.tollgate.examples.middleware.RequireHeader;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;

import java.time.Duration;

/**
 * A gateway with two routes to two upstreams, composed in code: the example from the README.
 * {@code /orders/**} goes to the orders service with its prefix stripped; {@code /admin/**} needs an
 * {@code X-Admin-Token}; every response carries {@code X-Served-By}.
 */
public final class EmbeddedGateway {

    private EmbeddedGateway() {
    }

    /** Builds (does not start) the example gateway. */
    public static Gateway build(int port, String ordersUri, String usersUri) {
        return Gateway.builder()
                .port(port)
                .upstream(Upstream.builder("orders").endpoint(ordersUri))
                .upstream(Upstream.builder("users").endpoint(usersUri))
                .use(AddHeader.of("X-Served-By", "tollgate"))                // on all routes
                .route(Route.prefix("/orders").stripPrefix(1).to("orders"))
                .route(Route.prefix("/admin").use(RequireHeader.of("X-Admin-Token", "let-me-in")).to("users"))
                .route(Route.prefix("/users").methods("GET", "POST").to("users"))
                .build();
    }

    /** Runs the example against two local services until interrupted. */
    public static void main(String[] args) throws InterruptedException {
        Gateway gateway = build(8000, "http://localhost:8081", "http://localhost:8082").start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> gateway.stop(Duration.ofSeconds(10))));
        Thread.currentThread().join();
    }
}
