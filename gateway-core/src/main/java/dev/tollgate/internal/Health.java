package dev.tollgate.internal;

import dev.tollgate.error.Json;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.UpstreamPool;
import dev.tollgate.upstream.internal.EndpointState;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code /health} (liveness: the process serves requests) and {@code /ready} (readiness: not draining,
 * and each required upstream has an available endpoint). An endpoint counts when it is available by
 * its health state (active check, outlier detection); for an upstream without an active check it must
 * also accept a TCP connection. That probe connects, so it runs on a worker thread; its result is cached for a second so a busy probe rate does
 * not turn into a connect storm.
 */
public final class Health {

    private static final long CACHE_NANOS = Duration.ofSeconds(1).toNanos();
    private static final int PROBE_TIMEOUT_MILLIS = 500;

    private final Collection<UpstreamPool> upstreams;
    private final BooleanSupplier draining;
    private volatile long cachedAt;
    private volatile Map<String, int[]> cached;

    public Health(Collection<UpstreamPool> upstreams, BooleanSupplier draining) {
        this.upstreams = upstreams;
        this.draining = draining;
    }

    /**
     * Answers the two paths itself and hands everything else to {@code next}: one string comparison
     * per request rather than a path matcher.
     */
    public HttpHandler routes(String healthPath, String readyPath, HttpHandler next) {
        HttpHandler live = liveness();
        HttpHandler ready = readiness();
        return exchange -> {
            String path = exchange.getRequestPath();
            if (path.equals(healthPath)) {
                live.handleRequest(exchange);
            } else if (path.equals(readyPath)) {
                ready.handleRequest(exchange);
            } else {
                next.handleRequest(exchange);
            }
        };
    }

    /** Liveness: always 200 while the gateway runs. IO thread. */
    public HttpHandler liveness() {
        return exchange -> {
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
            exchange.getResponseSender().send("{\"status\":\"UP\"}");
        };
    }

    /**
     * Readiness: 200 or 503 with a JSON body per upstream. Probes on the task threads of the worker
     * that serves the exchange: the gateway's own, or the host's when the handler is mounted.
     */
    public HttpHandler readiness() {
        return exchange -> {
            if (draining.getAsBoolean()) {
                respond(exchange, 503, "{\"status\":\"DRAINING\"}");
                return;
            }
            Map<String, int[]> snapshot = cached;
            if (snapshot != null && System.nanoTime() - cachedAt < CACHE_NANOS) {
                respond(exchange, snapshot);
                return;
            }
            exchange.dispatch(exchange.getConnection().getWorker(), () -> {
                Map<String, int[]> fresh = probe();
                cached = fresh;
                cachedAt = System.nanoTime();
                respond(exchange, fresh);
            });
        };
    }

    private Map<String, int[]> probe() {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (UpstreamPool u : upstreams) {
            EndpointState[] states = u.states();
            int reachable = 0;
            if (u.healthCheck().isPresent()) {
                reachable = u.availableCount();
            } else {
                u.availableCount(); // ends ejections whose time is over
                for (EndpointState s : states) {
                    if (s.available() && reachable(s.endpoint())) {
                        reachable++;
                    }
                }
            }
            out.put(u.name(), new int[]{reachable, states.length, u.required() ? 1 : 0});
        }
        return out;
    }

    private static boolean reachable(Endpoint e) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(e.host(), e.port()), PROBE_TIMEOUT_MILLIS);
            return true;
        } catch (IOException ex) {
            return false;
        }
    }

    private static void respond(HttpServerExchange exchange, Map<String, int[]> result) {
        boolean ready = true;
        StringBuilder sb = new StringBuilder("{\"status\":\"");
        StringBuilder ups = new StringBuilder();
        for (Map.Entry<String, int[]> e : result.entrySet()) {
            int[] v = e.getValue();
            boolean ok = v[0] > 0;
            if (!ok && v[2] == 1) {
                ready = false;
            }
            if (ups.length() > 0) {
                ups.append(',');
            }
            Json.quote(ups, e.getKey());
            ups.append(":{\"reachable\":").append(v[0]).append(",\"endpoints\":").append(v[1])
                    .append(",\"required\":").append(v[2] == 1).append('}');
        }
        sb.append(ready ? "READY" : "NOT_READY").append("\",\"upstreams\":{").append(ups).append("}}");
        respond(exchange, ready ? 200 : 503, sb.toString());
    }

    private static void respond(HttpServerExchange exchange, int status, String body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseSender().send(body);
    }
}
