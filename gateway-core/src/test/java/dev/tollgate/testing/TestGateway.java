package dev.tollgate.testing;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;

import java.net.URI;

/**
 * The gateway most tests need: on 127.0.0.1, a free port, every path to one upstream {@code "b"}
 * with a single endpoint. Returns the builder, so a test adds its own limits or options.
 */
public final class TestGateway {

    private TestGateway() {
    }

    /** A builder for a gateway that sends every path to {@code upstream}. */
    public static Gateway.Builder inFrontOf(URI upstream) {
        return inFrontOf(upstream.toString());
    }

    /** A builder for a gateway that sends every path to {@code upstream}. */
    public static Gateway.Builder inFrontOf(String upstream) {
        return Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(upstream))
                .route(Route.prefix("/").to("b"));
    }
}
