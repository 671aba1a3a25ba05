package dev.tollgate.middleware.jwt;

import io.undertow.server.HttpServerExchange;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Lets a test server hold its answers until the test releases them, without blocking its IO thread. */
final class Hold {

    private volatile CountDownLatch latch;

    /** From now on answers wait (on a worker, at most 10 s) until the returned latch is counted down. */
    CountDownLatch hold() {
        CountDownLatch l = new CountDownLatch(1);
        latch = l;
        return l;
    }

    /** Stops holding and lets the held answers go. */
    void release() {
        CountDownLatch l = latch;
        latch = null;
        if (l != null) {
            l.countDown();
        }
    }

    /** Runs {@code answer} now, or on a worker of the exchange once the current hold is released. */
    void answer(HttpServerExchange exchange, Runnable answer) {
        CountDownLatch l = latch;
        if (l == null) {
            answer.run();
            return;
        }
        exchange.dispatch(() -> {
            try {
                l.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer.run();
        });
    }
}
