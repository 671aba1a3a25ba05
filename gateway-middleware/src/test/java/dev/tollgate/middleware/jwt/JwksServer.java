package dev.tollgate.middleware.jwt;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.tollgate.testing.TestBackend;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A real JWKS endpoint on an ephemeral port whose key set and failure mode the test controls, and
 * that counts the fetches it served.
 */
final class JwksServer implements AutoCloseable {

    enum Mode { OK, FAIL, GARBAGE, HUGE, EMPTY }

    private final TestBackend server;
    private volatile List<JWK> keys;
    private volatile Mode mode = Mode.OK;
    private final Hold hold = new Hold();

    JwksServer(JWK... keys) {
        this.keys = List.of(keys);
        this.server = TestBackend.start("jwks", this::handle);
    }

    private void handle(HttpServerExchange exchange) {
        hold.answer(exchange, () -> answer(exchange));
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

    /** Holds every fetch until the returned latch is counted down. */
    CountDownLatch hold() {
        return hold.hold();
    }

    void release() {
        hold.release();
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
