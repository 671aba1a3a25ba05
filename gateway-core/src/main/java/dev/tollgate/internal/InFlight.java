package dev.tollgate.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.net.ClientAddress;
import dev.tollgate.observe.GatewayListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The outermost handler: counts requests in flight (so a stop can wait for them), emits the request
 * events, closes connections after their current request while draining, and turns any exception
 * that escapes a handler into a 500 problem without a stack trace. Runs on the IO thread.
 */
public final class InFlight implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(InFlight.class);

    private final HttpHandler next;
    private final GatewayListener events;
    // striped: both IO threads count every request, and one shared counter would bounce between cores
    private final LongAdder count = new LongAdder();
    // connections told to close after their response while draining, not yet closed: their last
    // bytes may still be in flight after the exchange itself completed
    private final AtomicLong closing = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private volatile boolean draining;
    private final ClientAddress clientAddress;

    public InFlight(HttpHandler next, GatewayListener events, ClientAddress clientAddress) {
        this.next = next;
        this.events = events;
        this.clientAddress = clientAddress;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        long start = System.nanoTime();
        count.increment();
        ClientAddress.install(exchange.getConnection(), clientAddress);
        GatewayListener.install(exchange.getConnection(), events);
        exchange.addExchangeCompleteListener((ex, nextListener) -> {
            try {
                events.requestCompleted(ex, ex.getStatusCode(), System.nanoTime() - start);
            } finally {
                count.decrement();
                if (draining && closing.get() == 0 && count.sum() == 0) {
                    signalIdle();
                }
                nextListener.proceed();
            }
        });
        if (draining) {
            closeAfterResponse(exchange);
        } else {
            // a request in flight when the drain begins learns it when its response is committed
            exchange.addResponseCommitListener(ex -> {
                if (draining) {
                    closeAfterResponse(ex);
                }
            });
        }
        events.requestStarted(exchange);
        try {
            next.handleRequest(exchange);
        } catch (Throwable t) {
            log.error("unhandled error for {} {}", exchange.getRequestMethod(), exchange.getRequestPath(), t);
            if (exchange.isResponseStarted()) {
                IoUtils.safeClose(exchange.getConnection());
            } else {
                exchange.setPersistent(false);
                ProblemResponder.send(exchange, Problem.INTERNAL);
            }
        }
    }

    /** Finish this request, then close: the client reconnects to another instance. */
    private void closeAfterResponse(HttpServerExchange exchange) {
        if (!exchange.isPersistent()) {
            return;
        }
        exchange.setPersistent(false);
        closing.incrementAndGet();
        exchange.getConnection().addCloseListener(c -> {
            if (closing.decrementAndGet() == 0) {
                signalIdle();
            }
        });
    }

    public long count() {
        return count.sum();
    }

    public boolean draining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }

    /**
     * Waits until no request is in flight, and every connection told to close has flushed and closed,
     * or the timeout passes. @return whether it drained
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (count.sum() > 0 || closing.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // also wake periodically: a decrement can race with the wait
                idle.awaitNanos(Math.min(left, 10_000_000L));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void signalIdle() {
        lock.lock();
        try {
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
