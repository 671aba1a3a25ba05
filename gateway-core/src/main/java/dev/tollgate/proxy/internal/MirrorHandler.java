package dev.tollgate.proxy.internal;

import dev.tollgate.observe.GatewayListener;
import dev.tollgate.route.Mirror;
import dev.tollgate.upstream.UpstreamPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps a route's terminal handler: copies a share of its body-less requests to a shadow upstream
 * through {@link ProxyEngine#mirror}, then lets the request go on unchanged. Runs where the terminal
 * handler runs (the IO thread unless route middleware dispatched); lock-free.
 */
public final class MirrorHandler implements HttpHandler {

    private final HttpHandler next;
    private final UpstreamPool shadow;
    private final ProxyEngine engine;
    private final int percent;
    private final int maxConcurrent;
    private final AtomicLong eligible = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder sent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final Runnable onDone = inFlight::decrementAndGet;
    private final GatewayListener events;

    public MirrorHandler(HttpHandler next, Mirror mirror, UpstreamPool shadow, ProxyEngine engine, GatewayListener events) {
        this.next = next;
        this.events = events;
        this.shadow = shadow;
        this.engine = engine;
        this.percent = mirror.percent();
        this.maxConcurrent = mirror.maxConcurrent();
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (hasNoBody(exchange) && chosen()) {
            if (inFlight.incrementAndGet() > maxConcurrent) {
                inFlight.decrementAndGet();
                dropped.increment();
                events.requestMirrored(exchange, shadow.name(), false);
            } else {
                sent.increment();
                events.requestMirrored(exchange, shadow.name(), true);
                try {
                    engine.mirror(exchange, shadow, onDone);
                } catch (RuntimeException e) {
                    // a copy must never cost the primary request; mirror() frees its slot itself unless it threw first
                    inFlight.decrementAndGet();
                }
            }
        }
        next.handleRequest(exchange);
    }

    /** Exactly {@code percent} of every 100 eligible requests: request n is taken when n*p/100 steps up. */
    private boolean chosen() {
        if (percent == 100) {
            return true;
        }
        long n = eligible.getAndIncrement();
        return (n + 1) * percent / 100 != n * percent / 100;
    }

    private static boolean hasNoBody(HttpServerExchange exchange) {
        HeaderMap h = exchange.getRequestHeaders();
        if (h.contains(Headers.TRANSFER_ENCODING)) {
            return false;
        }
        String length = h.getFirst(Headers.CONTENT_LENGTH);
        return length == null || length.equals("0");
    }

    /** Copies sent (or being sent). */
    public long sent() {
        return sent.sum();
    }

    /** Copies not sent because {@code maxConcurrent} were in flight. */
    public long dropped() {
        return dropped.sum();
    }

    /** Copies in flight now. */
    public int inFlight() {
        return inFlight.get();
    }
}
