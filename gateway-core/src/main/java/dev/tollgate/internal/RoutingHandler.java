package dev.tollgate.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.proxy.internal.ProxyEngine;
import dev.tollgate.route.Route;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.route.internal.Router;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Matches the request to a route, attaches the {@link RouteMatch}, and runs that route's compiled
 * chain; answers 400 (bad path, unknown API version), 404 or 405 itself. Runs on the IO thread.
 */
public final class RoutingHandler implements HttpHandler {

    private final Router router;
    private final IdentityHashMap<Route, HttpHandler> chains;

    public RoutingHandler(Router router, Map<Route, HttpHandler> chains) {
        this.router = router;
        this.chains = new IdentityHashMap<>(chains);
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        Router.Result result = router.match(exchange, ProxyEngine.rawPath(exchange));
        if (result instanceof Router.Matched m) {
            Route route = m.route();
            exchange.putAttachment(RouteMatch.KEY, new RouteMatch(route, m.variables(), m.upstreamPath(), m.version()));
            chains.get(route).handleRequest(exchange);
        } else if (result instanceof Router.MethodNotAllowed mna) {
            ProblemResponder.send(exchange, Problem.METHOD_NOT_ALLOWED.withDetail("allowed: " + String.join(", ", mna.allowed())),
                    Map.of("Allow", String.join(", ", mna.allowed())));
        } else if (result instanceof Router.UnknownVersion uv) {
            ProblemResponder.send(exchange, Problem.UNKNOWN_VERSION.withDetail("API version '" + printable(uv.version())
                    + "' is not known (known: " + String.join(", ", uv.known()) + ")"));
        } else if (result instanceof Router.BadPath bad) {
            exchange.setPersistent(false);
            ProblemResponder.send(exchange, Problem.BAD_REQUEST.withDetail(bad.reason()));
        } else {
            ProblemResponder.send(exchange, Problem.NO_ROUTE);
        }
    }

    // the version comes from the client: echo at most 32 visible ASCII characters of it
    private static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 33));
        for (int i = 0; i < s.length() && sb.length() < 32; i++) {
            char c = s.charAt(i);
            sb.append(c > 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 32 ? sb.append("...").toString() : sb.toString();
    }
}
