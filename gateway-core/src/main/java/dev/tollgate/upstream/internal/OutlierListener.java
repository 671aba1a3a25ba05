package dev.tollgate.upstream.internal;

import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.UpstreamPool;
import io.undertow.server.HttpServerExchange;

import java.util.Map;

/**
 * Feeds every attempt's outcome to its upstream's passive outlier detection. Runs on the IO thread
 * that ends the attempt; one map lookup and a few atomic updates, no allocation unless it ejects.
 */
public final class OutlierListener implements GatewayListener {

    private final Map<String, UpstreamPool> pools;

    public OutlierListener(Map<String, UpstreamPool> pools) {
        this.pools = Map.copyOf(pools);
    }

    @Override
    public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                 AttemptOutcome outcome, int status, long durationNanos) {
        if (endpoint == null) {
            return;
        }
        UpstreamPool pool = pools.get(upstream);
        if (pool != null) {
            pool.recordOutcome(endpoint, outcome, status);
        }
    }
}
