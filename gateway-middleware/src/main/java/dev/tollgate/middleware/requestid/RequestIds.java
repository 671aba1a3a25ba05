package dev.tollgate.middleware.requestid;

import dev.tollgate.internal.Checks;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.observe.RequestId;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;

import java.util.Objects;

/**
 * Gives every request a correlation ID. A valid incoming ID header is kept (when trusted); anything
 * else (absent, repeated, too long, a character outside {@code A-Z a-z 0-9 . _ : -}) is replaced by a
 * newly generated, time-ordered ID (a UUIDv7, see {@link RequestIdGenerator}). The ID is then
 * <ul>
 *   <li>set with {@link RequestId#set}, for other middleware, logs and problem responses;</li>
 *   <li>put on the request, replacing what the client sent, so the upstream receives it;</li>
 *   <li>put on the response as it is committed (also on the gateway's own error responses), replacing
 *       any value the upstream sent.</li>
 * </ul>
 * Place it first (outermost), so that every other middleware and every rejection sees the ID.
 *
 * <p>Defaults: header {@code X-Request-ID}, at most 128 characters, incoming IDs trusted. Immutable and
 * thread-safe; the handler runs on the IO thread and never blocks.
 */
public final class RequestIds implements Middleware {

    /** The default header name. */
    public static final String DEFAULT_HEADER = "X-Request-ID";
    /** The default longest incoming ID kept, in characters. */
    public static final int DEFAULT_MAX_LENGTH = 128;

    private static final RequestIds DEFAULTS = builder().build();

    private final HttpString header;
    private final int maxLength;
    private final boolean trustIncoming;
    private final RequestIdGenerator generator;

    private RequestIds(Builder b) {
        this.header = HttpString.tryFromString(b.header);
        this.maxLength = b.maxLength;
        this.trustIncoming = b.trustIncoming;
        this.generator = new RequestIdGenerator();
    }

    /** The middleware with the defaults: {@code X-Request-ID}, 128 characters, incoming IDs trusted. */
    public static RequestIds generate() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The header that carries the ID both ways. */
    public String header() {
        return header.toString();
    }

    public int maxLength() {
        return maxLength;
    }

    public boolean trustIncoming() {
        return trustIncoming;
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        Objects.requireNonNull(next, "next");
        return exchange -> {
            String id = idFor(exchange);
            RequestId.set(exchange, id);
            exchange.getRequestHeaders().put(header, id);
            exchange.addResponseCommitListener(ex -> ex.getResponseHeaders().put(header, id));
            next.handleRequest(exchange);
        };
    }

    private String idFor(HttpServerExchange exchange) {
        if (trustIncoming) {
            HeaderValues incoming = exchange.getRequestHeaders().get(header);
            // a repeated header is ambiguous: which one would the upstream and the logs use?
            if (incoming != null && incoming.size() == 1 && isValid(incoming.getFirst(), maxLength)) {
                return incoming.getFirst();
            }
        }
        return generator.next();
    }

    /**
     * Whether {@code id} would be kept: 1 to {@code maxLength} characters, each one of
     * {@code A-Z a-z 0-9 . _ : -}. Rules out header injection (CR, LF), spaces, quotes and markup.
     */
    public static boolean isValid(String id, int maxLength) {
        int n = id.length();
        if (n == 0 || n > maxLength) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == ':';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "RequestIds[header=" + header + ", maxLength=" + maxLength + ", trustIncoming=" + trustIncoming + "]";
    }

    /** Builds {@link RequestIds}. Not thread-safe. */
    public static final class Builder {
        private String header = DEFAULT_HEADER;
        private int maxLength = DEFAULT_MAX_LENGTH;
        private boolean trustIncoming = true;

        private Builder() {
        }

        /**
         * The header that carries the ID; default {@code X-Request-ID}.
         *
         * @throws IllegalArgumentException if it is not an HTTP token
         */
        public Builder header(String header) {
            Objects.requireNonNull(header, "header");
            if (!Checks.isToken(header)) {
                throw new IllegalArgumentException("requestId.header: '" + header + "' (expected: an HTTP header name)");
            }
            this.header = header;
            return this;
        }

        /**
         * The longest incoming ID kept, in characters; longer ones are replaced. Default 128.
         *
         * @throws IllegalArgumentException unless 36..1024 (a generated ID has 36)
         */
        public Builder maxLength(int maxLength) {
            this.maxLength = Checks.range("requestId.maxLength", maxLength, RequestIdGenerator.LENGTH, 1024);
            return this;
        }

        /**
         * Whether a valid incoming ID is kept (default true). Turn it off when clients are untrusted and
         * IDs must be unique: every request then gets a generated one.
         */
        public Builder trustIncoming(boolean trust) {
            this.trustIncoming = trust;
            return this;
        }

        public RequestIds build() {
            return new RequestIds(this);
        }
    }
}
