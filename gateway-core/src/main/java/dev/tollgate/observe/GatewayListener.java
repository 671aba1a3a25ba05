package dev.tollgate.observe;

import dev.tollgate.Gateway;
import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;

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
     * The request head of an attempt is about to be sent to {@code endpoint}; runs after
     * {@link #attemptStarted} once a connection is ready, on the IO thread. A listener may add headers
     * to {@code upstreamRequestHeaders} (trace context, for example); it must not remove the ones
     * the gateway set.
     */
    default void upstreamRequest(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                 HeaderMap upstreamRequestHeaders) {
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

    /**
     * A circuit breaker changed state. {@code endpoint} is null for the breaker of the whole upstream.
     * Runs on the thread whose call caused the change (usually an IO thread). Must not block.
     */
    default void breakerStateChanged(String upstream, Endpoint endpoint, BreakerState from, BreakerState to) {
    }

    /**
     * A rate limiter decided on a request: {@code policy} names the limit that decided (the violated
     * one when refused), {@code remaining} is what is left of it (0 when refused). On the thread that
     * decided (IO thread, or the limiter's executor for a distributed store). Must not block.
     */
    default void rateLimitDecided(HttpServerExchange exchange, String policy, boolean allowed, long remaining) {
    }

    /**
     * A route's mirror chose this request for a copy to {@code shadowUpstream}: {@code sent} is false
     * when the copy was skipped, because the mirror's concurrency cap was reached or the body was over
     * the mirror's limit (the route's replay buffer). The copy's own
     * outcome never reaches the client and is not reported. On the request's thread. (A canary split's
     * choice needs no event: it rides on the exchange as {@code SplitDecision}, readable at
     * {@link #requestCompleted}.)
     */
    default void requestMirrored(HttpServerExchange exchange, String shadowUpstream, boolean sent) {
    }

    /**
     * A rate limiter's shared store stopped answering ({@code degraded}: its failure policy now
     * decides, a local stand-in or 503) or answers again. {@code store} names the limiter and the
     * store without credentials, {@code reason} says why, for logs. Runs on the limiter's executor
     * thread that noticed. Must not block.
     */
    default void rateLimitStoreChanged(String store, boolean degraded, String reason) {
    }

    /**
     * The gateway started: its listeners are bound. A listener may keep {@code gateway} to read its
     * gauges ({@link Gateway#openConnections()}, {@link Gateway#inFlight()}). Runs on the thread that
     * called {@link Gateway#start()}; not called when the handler is mounted in a host's server.
     */
    default void gatewayStarted(Gateway gateway) {
    }

    /** The listener of the gateway serving {@code exchange} (all registered listeners), or a no-op one. */
    static GatewayListener of(HttpServerExchange exchange) {
        GatewayListener l = exchange.getConnection().getAttachment(Installed.KEY);
        return l == null ? Installed.NONE : l;
    }

    /**
     * Makes {@code listener} the one {@link #of(HttpServerExchange)} finds for the connection's
     * requests; the gateway calls it for each connection it serves. IO thread.
     */
    static void install(ServerConnection connection, GatewayListener listener) {
        if (connection.getAttachment(Installed.KEY) != listener) {
            connection.putAttachment(Installed.KEY, listener);
        }
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

    /** Holder of the connection attachment (interfaces cannot have private fields). */
    final class Installed {
        private static final AttachmentKey<GatewayListener> KEY = AttachmentKey.create(GatewayListener.class);
        private static final GatewayListener NONE = new GatewayListener() {
        };

        private Installed() {
        }
    }
}
