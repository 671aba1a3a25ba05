package dev.tollgate.middleware.jwt;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.tollgate.testing.TestBackend;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real JWKS endpoint on an ephemeral port whose key set and failure mode the test controls, and
 * that counts the fetches it served.
 */
final class JwksServer implements AutoCloseable {

    enum Mode { OK, FAIL, GARBAGE, HUGE, EMPTY }

    private final TestBackend server;
    private volatile List<JWK> keys;
    private volatile Mode mode = Mode.OK;
    private volatile CountDownLatch hold;

    JwksServer(JWK... keys) {
        this.keys = List.of(keys);
        this.server = TestBackend.start("jwks", this::handle);
    }

    private void handle(HttpServerExchange exchange) {
        CountDownLatch latch = hold;
        if (latch != null && exchange.isInIoThread()) {
            // a held fetch waits on a worker so that the server's IO thread stays free
            exchange.dispatch(() -> {
                try {
                    latch.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                answer(exchange);
            });
            return;
        }
        answer(exchange);
    }

    private void answer(HttpServerExchange exchange) {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        switch (mode) {
            case FAIL -> {
                exchange.setStatusCode(500);
                exchange.getResponseSender().send("{\"error\":\"down\"}");
            }
            case GARBAGE -> exchange.getResponseSender().send("{\"keys\": [ {\"kty\": this is not json");
            case HUGE -> exchange.getResponseSender().send("{\"keys\":[],\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}");
            case EMPTY -> exchange.getResponseSender().send("{\"keys\":[]}");
            default -> exchange.getResponseSender().send(new JWKSet(keys).toString(true));
        }
    }

    void keys(JWK... keys) {
        this.keys = List.of(keys);
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    /** Holds every fetch until the returned latch is counted down (null stops holding). */
    CountDownLatch hold() {
        CountDownLatch latch = new CountDownLatch(1);
        hold = latch;
        return latch;
    }

    void release() {
        CountDownLatch latch = hold;
        hold = null;
        if (latch != null) {
            latch.countDown();
        }
    }

    long fetches() {
        return server.requestCount();
    }

    URI uri() {
        return server.uri("/.well-known/jwks.json");
    }

    @Override
    public void close() {
        release();
        server.close();
    }
}
