package dev.tollgate.middleware;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;
import io.undertow.server.HttpHandler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A gateway closes the AutoCloseable middleware it was built with, each once, when it stops. */
class OwnedMiddlewareTest {

    private static final class Closing implements Middleware, AutoCloseable {
        private final String name;
        private final List<String> closed;

        Closing(String name, List<String> closed) {
            this.name = name;
            this.closed = closed;
        }

        @Override
        public HttpHandler wrap(HttpHandler next) {
            return next;
        }

        @Override
        public void close() {
            closed.add(name);
        }
    }

    @Test
    void stopClosesGlobalAndRouteMiddlewareOnceEach() {
        List<String> closed = new ArrayList<>();
        Closing global = new Closing("global", closed);
        Closing shared = new Closing("shared", closed);
        Gateway gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint("http://127.0.0.1:1"))
                .use(global)
                .use(Middleware.onRequest(ex -> { }))
                .route(Route.prefix("/a").use(shared).to("b"))
                .route(Route.prefix("/b").use(shared).to("b"))
                .build();
        assertThat(closed).isEmpty();
        gateway.close();
        // innermost first: route middleware may rely on what global middleware set up
        assertThat(closed).containsExactly("shared", "global");
        gateway.close();
        assertThat(closed).hasSize(2);
    }
}
