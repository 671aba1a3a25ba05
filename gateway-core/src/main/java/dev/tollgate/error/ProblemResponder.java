package dev.tollgate.error;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.xnio.IoUtils;

import java.util.Map;
import java.util.Objects;

/**
 * The one place that renders {@link Problem}s. Safe to call from an IO thread or a worker thread.
 */
public final class ProblemResponder {

    /** The media type of every error body the gateway writes. */
    public static final String CONTENT_TYPE = "application/problem+json";

    private ProblemResponder() {
    }

    /**
     * Ends the exchange with the problem. If the response has already started, the problem cannot be
     * sent any more, so the connection is closed instead: the client sees a truncated response rather
     * than a corrupted one.
     */
    public static void send(HttpServerExchange exchange, Problem problem) {
        send(exchange, problem, Map.of());
    }

    /**
     * Like {@link #send(HttpServerExchange, Problem)}, with extra response headers (for example
     * {@code Retry-After} or {@code WWW-Authenticate}).
     */
    public static void send(HttpServerExchange exchange, Problem problem, Map<String, String> headers) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(problem, "problem");
        if (exchange.isResponseStarted()) {
            IoUtils.safeClose(exchange.getConnection());
            return;
        }
        exchange.setStatusCode(problem.status());
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, CONTENT_TYPE);
        exchange.getResponseHeaders().remove(Headers.CONTENT_ENCODING);
        exchange.getResponseHeaders().remove(Headers.TRANSFER_ENCODING);
        headers.forEach((k, v) -> exchange.getResponseHeaders().put(HttpString.tryFromString(k), v));
        exchange.getResponseSender().send(toJson(problem, exchange.getRequestPath(),
                dev.tollgate.observe.RequestId.of(exchange).orElse(null)));
    }

    /** The JSON body for a problem; {@code instance} is the request path (without query), may be null. */
    public static String toJson(Problem problem, String instance) {
        return toJson(problem, instance, null);
    }

    /**
     * The JSON body for a problem, with the extension member {@code requestId} when the request has
     * one (see {@code dev.tollgate.observe.RequestId}); {@code requestId} may be null.
     */
    public static String toJson(Problem problem, String instance, String requestId) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"type\":");
        Json.quote(sb, problem.type());
        sb.append(",\"title\":");
        Json.quote(sb, problem.title());
        sb.append(",\"status\":").append(problem.status());
        sb.append(",\"code\":");
        Json.quote(sb, problem.code());
        if (problem.detail() != null) {
            sb.append(",\"detail\":");
            Json.quote(sb, problem.detail());
        }
        if (instance != null && !instance.isEmpty()) {
            sb.append(",\"instance\":");
            Json.quote(sb, instance);
        }
        if (requestId != null) {
            sb.append(",\"requestId\":");
            Json.quote(sb, requestId);
        }
        return sb.append('}').toString();
    }
}
