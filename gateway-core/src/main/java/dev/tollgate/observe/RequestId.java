package dev.tollgate.observe;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.util.Objects;
import java.util.Optional;

/**
 * The request's correlation ID, as set by the request-ID middleware (kept from a valid incoming
 * {@code X-Request-ID} or generated), for logs, traces, problem responses and other middleware.
 */
public final class RequestId {

    private static final AttachmentKey<String> KEY = AttachmentKey.create(String.class);

    private RequestId() {
    }

    /** Sets the request's ID. Any thread. */
    public static void set(HttpServerExchange exchange, String id) {
        exchange.putAttachment(KEY, Objects.requireNonNull(id, "id"));
    }

    /** The request's ID, if one was set. Any thread. */
    public static Optional<String> of(HttpServerExchange exchange) {
        return Optional.ofNullable(exchange.getAttachment(KEY));
    }
}
