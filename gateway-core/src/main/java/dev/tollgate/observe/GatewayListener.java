package dev.tollgate.observe;

import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpServerExchange;

import java.util.List;

/**
 * Receives the gateway's events. Every method has an empty default, so a listener implements only
 * what it needs. Methods run on the IO thread handling the request (or the thread that ends it) and
 * must return quickly without blocking; a listener that throws is logged and ignored.
 */
public interface GatewayListener {

    /** A request arrived and passed framing checks; runs before any middleware. */
    default void requestStarted(HttpServerExchange exchange) {
    }

    /** The response was fully sent or the exchange was abandoned; {@code status} is what was (or would be) sent. */
    default void requestCompleted(HttpServerExchange exchange, int status, long durationNanos) {
    }

    /** An attempt to reach an endpoint of {@code upstream} begins; {@code attempt} counts from 1. */
    default void attemptStarted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt) {
    }

    /**
     * An attempt ended. {@code status} is the upstream's status for {@link AttemptOutcome#RESPONSE},
     * else 0. {@code endpoint} is null for {@link AttemptOutcome#NO_ENDPOINT}.
     */
    default void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                  AttemptOutcome outcome, int status, long durationNanos) {
    }

    /**
     * An endpoint of {@code upstream} started ({@code available}) or stopped taking traffic: its active
     * health check passed or failed enough times in a row, outlier detection ejected it, or its
     * ejection time ran out. {@code reason} says which, for logs. Runs on the thread that decided: a
     * health-check thread of the gateway, or an IO thread (an attempt's outcome, or the first pick
     * after an ejection ended). Must not block.
     */
    default void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
    }

    /** A listener that forwards to several, in order. */
    static GatewayListener composite(List<GatewayListener> listeners) {
        List<GatewayListener> all = List.copyOf(listeners);
        if (all.isEmpty()) {
            return new GatewayListener() {
            };
        }
        if (all.size() == 1) {
            return all.get(0);
        }
        return new CompositeListener(all);
    }
}
