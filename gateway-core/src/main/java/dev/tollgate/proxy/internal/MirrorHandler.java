package dev.tollgate.proxy.internal;

import dev.tollgate.observe.GatewayListener;
import dev.tollgate.route.Mirror;
import dev.tollgate.upstream.UpstreamPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import dev.tollgate.error.ProblemResponder;
import io.undertow.server.Connectors;
import io.undertow.util.SameThreadExecutor;

import java.io.IOException;
import java.nio.ByteBuffer;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps a route's terminal handler: copies a share of its requests to a shadow upstream through
 * {@link ProxyEngine#mirror}, then lets the request go on unchanged. A request body is read into the
 * bounded replay buffer first (the one retries use) and sent with the copy; a body larger than the
 * limit is not mirrored (counted in {@link #tooLarge()}) and streams to the primary as usual. Runs where
 * the terminal handler runs (the IO thread unless route middleware dispatched); lock-free.
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
    private final LongAdder tooLarge = new LongAdder();
    private final Runnable onDone = inFlight::decrementAndGet;
    private final GatewayListener events;
    private final boolean bodies;
    private final long maxBodyBytes;

    /**
     * @param bodies whether bodies may be read before {@code next} runs (false when {@code next} is a
     *               handler in code, which reads the body itself: then bodies are not mirrored)
     * @param maxBodyBytes the largest body mirrored (the route's replay limit)
     */
    public MirrorHandler(HttpHandler next, Mirror mirror, UpstreamPool shadow, ProxyEngine engine, boolean bodies,
                         long maxBodyBytes, GatewayListener events) {
        this.next = next;
        this.events = events;
        this.shadow = shadow;
        this.engine = engine;
        this.percent = mirror.percent();
        this.maxConcurrent = mirror.maxConcurrent();
        this.bodies = bodies;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (!chosen()) {
            next.handleRequest(exchange);
            return;
        }
        boolean hasBody = RequestBody.declaredLength(exchange) != 0 && !exchange.isRequestComplete();
        if (hasBody && (!bodies || !RequestBody.fits(exchange, maxBodyBytes))) {
            tooLarge.increment();
            events.requestMirrored(exchange, shadow.name(), false);
            next.handleRequest(exchange);
            return;
        }
        if (inFlight.incrementAndGet() > maxConcurrent) {
            inFlight.decrementAndGet();
            dropped.increment();
            events.requestMirrored(exchange, shadow.name(), false);
            next.handleRequest(exchange);
            return;
        }
        if (!hasBody) {
            send(exchange, null);
            next.handleRequest(exchange);
            return;
        }
        // the body is read first (bounded), then copied and the primary goes on: a slow shadow never holds it
        exchange.dispatch(exchange.isInIoThread() ? SameThreadExecutor.INSTANCE : exchange.getIoThread(),
                () -> RequestBody.read(exchange, maxBodyBytes, new RequestBody.Callback() {
                    @Override
                    public void done(RequestBody body) {
                        if (body.complete()) {
                            send(exchange, body.bytes());
                        } else {
                            inFlight.decrementAndGet();
                            tooLarge.increment();
                            events.requestMirrored(exchange, shadow.name(), false);
                        }
                        Connectors.executeRootHandler(next, exchange);
                    }

                    @Override
                    public void failed(IOException e) {
                        inFlight.decrementAndGet();
                        exchange.setPersistent(false);
                        ProblemResponder.send(exchange, RequestBody.problemFor(e));
                    }
                }));
    }

    private void send(HttpServerExchange exchange, ByteBuffer body) {
        sent.increment();
        events.requestMirrored(exchange, shadow.name(), true);
        try {
            engine.mirror(exchange, shadow, onDone, body);
        } catch (RuntimeException e) {
            // a copy must never cost the primary request; mirror() frees its slot itself unless it threw first
            inFlight.decrementAndGet();
        }
    }

    /** Exactly {@code percent} of every 100 eligible requests: request n is taken when n*p/100 steps up. */
    private boolean chosen() {
        if (percent == 100) {
            return true;
        }
        long n = eligible.getAndIncrement();
        return (n + 1) * percent / 100 != n * percent / 100;
    }

    /** Requests with a body that were chosen but not copied: larger than the replay limit, or bound for a handler in code. */
    public long tooLarge() {
        return tooLarge.sum();
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
