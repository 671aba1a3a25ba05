package dev.tollgate.middleware.jwt;

import dev.tollgate.testing.TestBackend;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * A real RFC 7662 introspection endpoint on an ephemeral port: it checks HTTP Basic client
 * credentials, answers from a token table the test fills, can fail, answer garbage or hold its
 * answers, and counts its calls.
 */
final class IntrospectionServer implements AutoCloseable {

    enum Mode { OK, FAIL, GARBAGE }

    static final String CLIENT_ID = "gateway";
    static final String CLIENT_SECRET = "s3cret:with&odd=chars";

    private final TestBackend server;
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private volatile Mode mode = Mode.OK;
    private final Hold hold = new Hold();
    private volatile String lastForm;

    IntrospectionServer() {
        this.server = TestBackend.builder().name("introspection").workerThreads(8).handler(this::handle).start();
    }

    private void handle(HttpServerExchange exchange) {
        exchange.getRequestReceiver().receiveFullString((ex, body) -> hold.answer(ex, () -> answer(ex, body)));
    }

    private void answer(HttpServerExchange exchange, String body) {
        lastForm = body;
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        String expected = "Basic " + Base64.getEncoder().encodeToString((CLIENT_ID + ":"
                + java.net.URLEncoder.encode(CLIENT_SECRET, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        if (!"POST".equals(exchange.getRequestMethod().toString())
                || !expected.equals(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION))) {
            exchange.setStatusCode(401);
            exchange.getResponseSender().send("{\"error\":\"invalid_client\"}");
            return;
        }
        switch (mode) {
            case FAIL -> {
                exchange.setStatusCode(500);
                exchange.getResponseSender().send("{\"error\":\"server_error\"}");
            }
            case GARBAGE -> exchange.getResponseSender().send("<html>maintenance</html>");
            default -> {
                String token = null;
                for (String pair : body.split("&")) {
                    if (pair.startsWith("token=")) {
                        token = URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8);
                    }
                }
                exchange.getResponseSender().send(token == null ? "{\"active\":false}" : answers.getOrDefault(token, "{\"active\":false}"));
            }
        }
    }

    /** The endpoint answers {@code json} for {@code token}. */
    void answer(String token, String json) {
        answers.put(token, json);
    }

    /** An active token for alice with {@code scope} and {@code exp} (epoch seconds). */
    void active(String token, String scope, long expSeconds) {
        answer(token, "{\"active\":true,\"sub\":\"alice\",\"client_id\":\"app\",\"scope\":\"" + scope + "\",\"exp\":" + expSeconds + "}");
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    CountDownLatch hold() {
        return hold.hold();
    }

    void release() {
        hold.release();
    }

    long calls() {
        return server.requestCount();
    }

    String lastForm() {
        return lastForm;
    }

    URI uri() {
        return server.uri("/oauth2/introspect");
    }

    @Override
    public void close() {
        release();
        server.close();
    }
}
