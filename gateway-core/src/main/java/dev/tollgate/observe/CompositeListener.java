package dev.tollgate.observe;

import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/** Fans events out to several listeners; one that throws does not stop the others. */
final class CompositeListener implements GatewayListener {

    private static final Logger log = LoggerFactory.getLogger(CompositeListener.class);
    private final GatewayListener[] listeners;

    CompositeListener(List<GatewayListener> listeners) {
        this.listeners = listeners.toArray(GatewayListener[]::new);
    }

    @Override
    public void requestStarted(HttpServerExchange exchange) {
        for (GatewayListener l : listeners) {
            try {
                l.requestStarted(exchange);
            } catch (RuntimeException e) {
                log.warn("listener {} failed on requestStarted", l, e);
            }
        }
    }

    @Override
    public void requestCompleted(HttpServerExchange exchange, int status, long durationNanos) {
        for (GatewayListener l : listeners) {
            try {
                l.requestCompleted(exchange, status, durationNanos);
            } catch (RuntimeException e) {
                log.warn("listener {} failed on requestCompleted", l, e);
            }
        }
    }

    @Override
    public void attemptStarted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt) {
        for (GatewayListener l : listeners) {
            try {
                l.attemptStarted(exchange, upstream, endpoint, attempt);
            } catch (RuntimeException e) {
                log.warn("listener {} failed on attemptStarted", l, e);
            }
        }
    }

    @Override
    public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                 AttemptOutcome outcome, int status, long durationNanos) {
        for (GatewayListener l : listeners) {
            try {
                l.attemptCompleted(exchange, upstream, endpoint, attempt, outcome, status, durationNanos);
            } catch (RuntimeException e) {
                log.warn("listener {} failed on attemptCompleted", l, e);
            }
        }
    }

    @Override
    public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
        for (GatewayListener l : listeners) {
            try {
                l.endpointHealthChanged(upstream, endpoint, available, reason);
            } catch (RuntimeException e) {
                log.warn("listener {} failed on endpointHealthChanged", l, e);
            }
        }
    }
}
