package dev.tollgate.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.upstream.NoneHealthy;
import dev.tollgate.upstream.UpstreamPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * In front of the proxy for one upstream: when the upstream has endpoints but none is available and
 * its choice is {@link NoneHealthy#FAIL_FAST}, answers 503 {@code no-healthy-endpoint} at once.
 * Runs on the IO thread; one volatile read per request in the steady state.
 */
public final class HealthGate implements HttpHandler {

    private final UpstreamPool pool;
    private final HttpHandler next;
    private final GatewayListener events;
    private final Problem problem;

    private HealthGate(UpstreamPool pool, HttpHandler next, GatewayListener events) {
        this.pool = pool;
        this.next = next;
        this.events = events;
        this.problem = Problem.NO_HEALTHY_ENDPOINT.withDetail("no endpoint of upstream '" + pool.name() + "' is healthy");
    }

    /** {@code next} itself when the upstream panics instead of failing fast. */
    public static HttpHandler wrap(UpstreamPool pool, HttpHandler next, GatewayListener events) {
        return pool.whenNoneHealthy() == NoneHealthy.FAIL_FAST ? new HealthGate(pool, next, events) : next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (pool.noneAvailable()) {
            events.attemptCompleted(exchange, pool.name(), null, 1, AttemptOutcome.NO_ENDPOINT, 0, 0);
            ProblemResponder.send(exchange, problem);
            return;
        }
        next.handleRequest(exchange);
    }
}
