package dev.tollgate.resilience;

import io.undertow.server.HttpHandler;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a request gets when its upstream's breaker is open or all its attempts failed: a static response,
 * a handler in code, or another upstream. Immutable and thread-safe.
 *
 * <p>A static response is rendered from bytes prepared when it is built, so it is answered on the IO
 * thread without touching the network. A handler runs on the IO thread and must not block (dispatch to
 * a worker for blocking work). Another upstream gets the request as a fresh call with its own breaker
 * and retries, only when the request can still be sent (no body, or a body kept for replay); else the
 * problem response is sent.
 */
public final class Fallback {

    /** Which kind of fallback. */
    public enum Kind { STATIC, HANDLER, UPSTREAM }

    private final Kind kind;
    private final int status;
    private final Map<String, String> headers;
    private final ByteBuffer body;
    private final HttpHandler handler;
    private final String upstream;

    private Fallback(Kind kind, int status, Map<String, String> headers, ByteBuffer body, HttpHandler handler, String upstream) {
        this.kind = kind;
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.handler = handler;
        this.upstream = upstream;
    }

    /**
     * A static response.
     *
     * @param status 100..599
     * @param headers response headers (e.g. Content-Type), in order
     * @param body the body, UTF-8
     * @throws IllegalArgumentException if the status is out of range
     */
    public static Fallback response(int status, Map<String, String> headers, String body) {
        Objects.requireNonNull(body, "body");
        return response(status, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Like {@link #response(int, Map, String)} with a binary body. */
    public static Fallback response(int status, Map<String, String> headers, byte[] body) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("fallback.status: " + status + " (expected: 100..599)");
        }
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        ByteBuffer buffer = ByteBuffer.allocateDirect(body.length).put(body).flip();
        return new Fallback(Kind.STATIC, status, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers)),
                buffer.asReadOnlyBuffer(), null, null);
    }

    /** A handler in code; runs on the IO thread and must not block. */
    public static Fallback handler(HttpHandler handler) {
        return new Fallback(Kind.HANDLER, 0, Map.of(), null, Objects.requireNonNull(handler, "handler"), null);
    }

    /** Another upstream of the gateway, by name (checked by the gateway's {@code build()}). */
    public static Fallback upstream(String upstream) {
        Objects.requireNonNull(upstream, "upstream");
        return new Fallback(Kind.UPSTREAM, 0, Map.of(), null, null, upstream);
    }

    public Kind kind() {
        return kind;
    }

    /** The static response's status, or 0. */
    public int status() {
        return status;
    }

    /** The static response's headers. */
    public Map<String, String> headers() {
        return headers;
    }

    /** A fresh read-only view of the static body (position 0), or null. */
    public ByteBuffer body() {
        return body == null ? null : body.duplicate();
    }

    /** The handler, or null. */
    public HttpHandler handler() {
        return handler;
    }

    /** The fallback upstream's name, or null. */
    public String upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return "Fallback[" + switch (kind) {
            case STATIC -> status + " static";
            case HANDLER -> "handler";
            case UPSTREAM -> "upstream " + upstream;
        } + "]";
    }
}
