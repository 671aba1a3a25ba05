package dev.tollgate.observe;

import dev.tollgate.Gateway;
import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;

/** Fans events out to several listeners; one that throws does not stop the others. */
final class CompositeListener implements GatewayListener {

    private static final Logger log = LoggerFactory.getLogger(CompositeListener.class);
    private final GatewayListener[] listeners;

    CompositeListener(List<GatewayListener> listeners) {
        this.listeners = listeners.toArray(GatewayListener[]::new);
    }

    private void each(String event, Consumer<GatewayListener> call) {
        for (GatewayListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                log.warn("listener {} failed on {}", l, event, e);
            }
        }
    }

    @Override
    public void requestStarted(HttpServerExchange exchange) {
        each("requestStarted", l -> l.requestStarted(exchange));
    }

    @Override
    public void requestCompleted(HttpServerExchange exchange, int status, long durationNanos) {
        each("requestCompleted", l -> l.requestCompleted(exchange, status, durationNanos));
    }

    @Override
    public void attemptStarted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt) {
        each("attemptStarted", l -> l.attemptStarted(exchange, upstream, endpoint, attempt));
    }

    @Override
    public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                 AttemptOutcome outcome, int status, long durationNanos) {
        each("attemptCompleted", l -> l.attemptCompleted(exchange, upstream, endpoint, attempt, outcome, status, durationNanos));
    }

    @Override
    public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
        each("endpointHealthChanged", l -> l.endpointHealthChanged(upstream, endpoint, available, reason));
    }

    @Override
    public void upstreamRequest(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                HeaderMap upstreamRequestHeaders) {
        each("upstreamRequest", l -> l.upstreamRequest(exchange, upstream, endpoint, attempt, upstreamRequestHeaders));
    }

    @Override
    public void breakerStateChanged(String upstream, Endpoint endpoint, BreakerState from, BreakerState to) {
        each("breakerStateChanged", l -> l.breakerStateChanged(upstream, endpoint, from, to));
    }

    @Override
    public void gatewayStarted(Gateway gateway) {
        each("gatewayStarted", l -> l.gatewayStarted(gateway));
    }

    @Override
    public void rateLimitDecided(HttpServerExchange exchange, String policy, boolean allowed, long remaining) {
        each("rateLimitDecided", l -> l.rateLimitDecided(exchange, policy, allowed, remaining));
    }

    @Override
    public void requestMirrored(HttpServerExchange exchange, String shadowUpstream, boolean sent) {
        each("requestMirrored", l -> l.requestMirrored(exchange, shadowUpstream, sent));
    }

    @Override
    public void rateLimitStoreChanged(String store, boolean degraded, String reason) {
        each("rateLimitStoreChanged", l -> l.rateLimitStoreChanged(store, degraded, reason));
    }
}
