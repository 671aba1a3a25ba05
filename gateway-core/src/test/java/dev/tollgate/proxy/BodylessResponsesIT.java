package dev.tollgate.proxy;

import dev.tollgate.Gateway;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Responses without a body (HEAD, 204, 304) pass through and leave the connection usable. */
class BodylessResponsesIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private TestBackend backend;
    private Gateway gateway;

    @BeforeEach
    void start() {
        backend = TestBackend.start();
        gateway = TestGateway.inFrontOf(backend.uri()).build().start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        backend.close();
    }

    @Test
    void headKeepsTheLengthSendsNoBodyAndTheConnectionGoesOn() throws Exception {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send("HEAD /bytes/1000 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawResponse head = c.readHeadResponse(TIMEOUT);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("1000");
            // the next response on the same connection starts right away: no stray body bytes
            c.send("GET /status/201 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(c.readResponse(TIMEOUT).status()).isEqualTo(201);
        }
        assertThat(backend.requests()).extracting(r -> r.method()).containsExactly("HEAD", "GET");
    }

    @Test
    void noContentAndNotModifiedPassWithoutBody() throws Exception {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send("GET /status/204 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawResponse noContent = c.readResponse(TIMEOUT);
            assertThat(noContent.status()).isEqualTo(204);
            assertThat(noContent.body()).isEmpty();
            c.send("GET /status/304 HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawResponse notModified = c.readResponse(TIMEOUT);
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.body()).isEmpty();
            c.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(c.readResponse(TIMEOUT).status()).isEqualTo(200);
        }
    }
}
