package dev.tollgate.route;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

/**
 * Which side of a route's {@link Split} serves a request, and why; attached to the exchange under
 * {@link #KEY} before the request goes upstream, for logs and metrics. Immutable.
 *
 * @param upstream the chosen upstream's name
 * @param reason how it was chosen
 */
public record SplitDecision(String upstream, Reason reason) {

    /** How a side was chosen. */
    public enum Reason {
        /** A {@link ForceBy} header or cookie named it. */
        FORCED,
        /** The sticky key's hash placed the client there. */
        STICKY,
        /** The weighted split (no force, no sticky key on the request). */
        WEIGHT
    }

    /** Where the decision rides on the exchange. */
    public static final AttachmentKey<SplitDecision> KEY = AttachmentKey.create(SplitDecision.class);

    /** The decision for this exchange, or null when its route has no split. */
    public static SplitDecision of(HttpServerExchange exchange) {
        return exchange.getAttachment(KEY);
    }
}
