package dev.tollgate.middleware.logging;

import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.logging.internal.TraceParent;
import dev.tollgate.observe.RequestId;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HttpString;
import org.slf4j.MDC;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Puts the request ID and trace ID of a request into the slf4j {@link MDC} under {@link #REQUEST_ID}
 * and {@link #TRACE_ID}, so every log line written on the request's behalf carries them.
 *
 * <p>The MDC is per thread, and Undertow moves a request between threads, so there are three places:
 * <ul>
 *   <li>{@link #middleware()}: the IDs are in the MDC while the handler chain runs synchronously on
 *       the IO thread (everything the middleware after it and the router log), and removed after.</li>
 *   <li>{@link #wrap(HttpServerExchange, Runnable)} and {@link #wrap(HttpServerExchange, Executor)}:
 *       work a middleware hands to another thread ({@code exchange.dispatch(executor, task)}, an async
 *       callback) carries the IDs there.</li>
 *   <li>{@link #open(HttpServerExchange)}: a scope for code called back later, such as the event
 *       listeners of {@link RequestLogging}, which log each attempt and the access line inside one.</li>
 * </ul>
 * Lines that Undertow or the proxy engine log from their own IO callbacks (outside these three) do not
 * carry the IDs: the IO thread serves many requests at once, so an ID left in its MDC would be wrong.
 *
 * <p>The trace ID comes from the request's W3C {@code traceparent} header unless another accessor is
 * given ({@link #traceIdFrom(Function)}), for example the tracing middleware's current span.
 * Immutable and thread-safe.
 */
public final class Correlation {

    /** MDC key of the request ID. */
    public static final String REQUEST_ID = "requestId";
    /** MDC key of the trace ID. */
    public static final String TRACE_ID = "traceId";

    private static final HttpString TRACEPARENT = new HttpString("traceparent");
    private static final AttachmentKey<String> TRACE = AttachmentKey.create(String.class);
    private static final Function<HttpServerExchange, String> FROM_HEADER =
            exchange -> TraceParent.traceId(exchange.getRequestHeaders().getFirst(TRACEPARENT));
    private static final Correlation DEFAULT = new Correlation(FROM_HEADER);

    private final Function<HttpServerExchange, String> traceId;

    private Correlation(Function<HttpServerExchange, String> traceId) {
        this.traceId = traceId;
    }

    /** Trace IDs from the {@code traceparent} request header (a malformed one is ignored). */
    public static Correlation fromTraceparent() {
        return DEFAULT;
    }

    /**
     * Trace IDs from {@code accessor} (the hook for a tracing integration), falling back to the
     * {@code traceparent} header when it returns null. The accessor runs on the thread that asks, once
     * per request until it returns a value; it must not block.
     */
    public static Correlation traceIdFrom(Function<HttpServerExchange, String> accessor) {
        Objects.requireNonNull(accessor, "accessor");
        return new Correlation(exchange -> {
            String id = accessor.apply(exchange);
            return id != null ? id : FROM_HEADER.apply(exchange);
        });
    }

    /** The request ID set by the request-ID middleware, or null. Any thread. */
    public static String requestId(HttpServerExchange exchange) {
        return RequestId.of(exchange).orElse(null);
    }

    /** The request's trace ID, or null; remembered on the exchange once known. Any thread. */
    public String traceId(HttpServerExchange exchange) {
        String id = exchange.getAttachment(TRACE);
        if (id == null) {
            id = traceId.apply(exchange);
            if (id != null) {
                exchange.putAttachment(TRACE, id);
            }
        }
        return id;
    }

    /**
     * The middleware that holds the IDs in the MDC while the rest of the chain runs on this thread.
     * Place it after the request-ID middleware (which sets the ID) and after tracing (when trace IDs
     * come from it). Runs on the IO thread; two MDC writes and two removals per request.
     */
    public Middleware middleware() {
        return next -> exchange -> {
            try (Scope ignored = open(exchange)) {
                next.handleRequest(exchange);
            }
        };
    }

    /**
     * Puts the request's IDs into this thread's MDC until the scope closes, which restores what was
     * there before. Use in try-with-resources on the thread that logs.
     */
    public Scope open(HttpServerExchange exchange) {
        return new Scope(requestId(exchange), traceId(exchange));
    }

    /**
     * {@code task}, run with the request's IDs in the MDC of whichever thread runs it. The IDs are read
     * now, on the calling thread; the trace ID is the one {@link #middleware()} remembered, else the
     * {@code traceparent} header's.
     */
    public static Runnable wrap(HttpServerExchange exchange, Runnable task) {
        Objects.requireNonNull(task, "task");
        String requestId = requestId(exchange);
        String traceId = DEFAULT.traceId(exchange);
        return () -> {
            try (Scope ignored = new Scope(requestId, traceId)) {
                task.run();
            }
        };
    }

    /**
     * An executor that runs each task with the request's IDs in the MDC, for
     * {@code exchange.dispatch(Correlation.wrap(exchange, executor), handler)} or an async client's
     * callbacks. Holds no threads of its own.
     */
    public static Executor wrap(HttpServerExchange exchange, Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return task -> executor.execute(wrap(exchange, task));
    }

    /** The request's IDs in this thread's MDC; closing restores the previous values. Not thread-safe. */
    public static final class Scope implements AutoCloseable {
        private final String previousRequestId;
        private final String previousTraceId;

        Scope(String requestId, String traceId) {
            previousRequestId = swap(REQUEST_ID, requestId);
            previousTraceId = swap(TRACE_ID, traceId);
        }

        private static String swap(String key, String value) {
            String previous = MDC.get(key);
            if (value != null) {
                MDC.put(key, value);
            } else if (previous != null) {
                MDC.remove(key);
            }
            return previous;
        }

        @Override
        public void close() {
            swap(REQUEST_ID, previousRequestId);
            swap(TRACE_ID, previousTraceId);
        }
    }
}
