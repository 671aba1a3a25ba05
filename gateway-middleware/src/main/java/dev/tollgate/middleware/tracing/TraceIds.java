package dev.tollgate.middleware.tracing;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.util.Optional;

/**
 * The trace and span IDs of a request's server span, as lowercase hex, for logs and error pages.
 * {@link GatewayTracing} attaches them when the request starts; read them with {@link #of}. This
 * class uses no OpenTelemetry type, so a component (the access log, for example) can read it
 * whether or not the OpenTelemetry API is on the class path.
 *
 * @param traceId 32 hex digits
 * @param spanId 16 hex digits: the gateway's server span
 * @param sampled whether the trace is being recorded and exported
 */
public record TraceIds(String traceId, String spanId, boolean sampled) {

    private static final AttachmentKey<TraceIds> KEY = AttachmentKey.create(TraceIds.class);

    /** The IDs of the request's server span, when tracing is on and the span context is valid. Any thread. */
    public static Optional<TraceIds> of(HttpServerExchange exchange) {
        return Optional.ofNullable(exchange.getAttachment(KEY));
    }

    /** The request's trace ID, when traced. Any thread. */
    public static Optional<String> traceId(HttpServerExchange exchange) {
        TraceIds ids = exchange.getAttachment(KEY);
        return ids == null ? Optional.empty() : Optional.of(ids.traceId);
    }

    static void attach(HttpServerExchange exchange, TraceIds ids) {
        exchange.putAttachment(KEY, ids);
    }
}
