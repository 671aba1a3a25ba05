package dev.tollgate.route;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.util.Map;

/**
 * The router's decision for one request, attached to the exchange under {@link #KEY} before route
 * middleware runs. Immutable.
 *
 * @param route the matched route
 * @param variables path variables by name, as received (percent-encoding kept)
 * @param upstreamPath the path to send upstream after strip-prefix and rewrite (raw, no query)
 * @param version the resolved API version (see {@link Versioning}), or null when the gateway has no versioning
 */
public record RouteMatch(Route route, Map<String, String> variables, String upstreamPath, String version) {

    /** A match without an API version. */
    public RouteMatch(Route route, Map<String, String> variables, String upstreamPath) {
        this(route, variables, upstreamPath, null);
    }

    /** Where the match rides on the exchange. */
    public static final AttachmentKey<RouteMatch> KEY = AttachmentKey.create(RouteMatch.class);

    /** The match of this exchange, or null before routing or when no route matched. */
    public static RouteMatch of(HttpServerExchange exchange) {
        return exchange.getAttachment(KEY);
    }

    /** A path variable, or null. */
    public String variable(String name) {
        return variables.get(name);
    }
}
