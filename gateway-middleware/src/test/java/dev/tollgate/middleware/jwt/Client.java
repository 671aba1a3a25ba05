package dev.tollgate.middleware.jwt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The JDK client against a gateway on 127.0.0.1, with the assertions every refusal shares. */
final class Client {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;

    Client(int port) {
        this.port = port;
    }

    int port() {
        return port;
    }

    HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    HttpResponse<String> get(String path, String token) {
        return send(request(path, token).build());
    }

    CompletableFuture<HttpResponse<String>> getAsync(String path, String token) {
        return http.sendAsync(request(path, token).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A 401 that tells the client its token is bad (RFC 6750), as problem+json. */
    static void assertInvalidToken(HttpResponse<String> r) {
        assertThat(r.statusCode()).as("status; body %s", r.body()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                assertThat(v).startsWith("Bearer error=\"invalid_token\", error_description=\""));
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"unauthorized\"");
    }

    /** A 503 auth-unavailable, without a challenge. */
    static void assertUnavailable(HttpResponse<String> r) {
        assertThat(r.statusCode()).as("status; body %s", r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"auth-unavailable\"");
        assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
    }
}
