package dev.tollgate.framing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.Gateway;
import dev.tollgate.Limits;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import io.undertow.server.HttpHandler;
import io.undertow.util.Headers;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Framing faults that show only while the body streams (bad chunks, a chunked body past the limit),
 * the limits that are about time (slowloris, idle keep-alive), and {@code Expect: 100-continue}.
 *
 * <p>A malformed chunk is found after the request head went upstream, so the backend may see the
 * request start. What must hold: the client never gets a success, its connection closes within a
 * second, and the backend never receives a complete body (it sees a broken upload, not a shorter one).
 */
class StreamingFramingIT extends GatewayFixture {

    /** Bodies the backend's {@code /upload} read to their end. */
    final AtomicLong completeBodies = new AtomicLong();
    /** The most body bytes any one {@code /upload} request delivered to the backend. */
    final AtomicLong maxBodyBytes = new AtomicLong();

    @BeforeEach
    void start() {
        HttpHandler upload = exchange -> {
            long[] n = {0};
            exchange.getRequestReceiver().receivePartialBytes((ex, data, last) -> {
                n[0] += data.length;
                maxBodyBytes.accumulateAndGet(n[0], Math::max);
                if (last) {
                    completeBodies.incrementAndGet();
                    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                    ex.getResponseSender().send("got " + n[0], UTF_8);
                }
            }, (ex, error) -> org.xnio.IoUtils.safeClose(ex.getConnection()));
        };
        backend = TestBackend.builder().route("/upload", upload).start();
        gateway = gateway(Limits.defaults());
    }

    static final String CHUNKED_UPLOAD = "POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";

    /**
     * The client gets a 400 problem or a closed connection (never a success or a blame-the-upstream
     * 502), the connection is closed within 1 s, and no body reached the backend complete.
     */
    void assertBrokenBodyRejected(String request, long maxForwardedBytes) throws IOException {
        assertBrokenBodyRejected(request, maxForwardedBytes, ONE_SECOND);
    }

    void assertBrokenBodyRejected(String request, long maxForwardedBytes, Duration within) throws IOException {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send(request);
            try {
                RawResponse r = c.readResponse(within);
                assertThat(r.status()).as("answer to a malformed body: %s %s", r, r.body()).isEqualTo(400);
                assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
                assertThat(r.body()).contains("\"code\":\"bad-request\"");
            } catch (EOFException | SocketException closed) {
                // closed without an answer: allowed once the request has gone upstream
            }
            assertThat(c.isClosedByPeer(ONE_SECOND)).as("connection closed within 1 s").isTrue();
        }
        assertThat(completeBodies.get()).as("complete bodies at the backend").isZero();
        assertThat(maxBodyBytes.get()).as("body bytes forwarded").isLessThanOrEqualTo(maxForwardedBytes);
    }

    // ---- malformed chunked bodies

    @Test
    void badChunkSize() throws IOException {
        assertBrokenBodyRejected(CHUNKED_UPLOAD + "5\r\nhello\r\nzz\r\nhello\r\n0\r\n\r\n", 5);
    }

    /*
     * Undertow 2.4's chunk decoder takes a bare LF as the end of a chunk-size line (with or without an
     * extension) and accepts it. The gateway re-frames the body upstream, so the backend sees a clean
     * 5-byte body and cannot disagree with the gateway; a proxy in FRONT of the gateway that parses
     * strictly could. Not the 400 the issue asks for: pinned here, see the report.
     */
    @Test
    void bareLfInChunkExtensionIsAcceptedAndReframed() throws IOException {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send(CHUNKED_UPLOAD + "5;a=b\nhello\r\n0\r\n\r\n");
            RawResponse r = c.readResponse(ONE_SECOND);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("got 5");
        }
        assertThat(completeBodies.get()).isEqualTo(1);
    }

    /*
     * Undertow's chunk decoder does not reject data that is not followed by CRLF: it waits for more
     * bytes, so the request is stuck until the idle timeout closes the connection (never longer).
     * The bound is Limits.idleTimeout, here 1 s; with the default (60 s) the client waits a minute.
     */
    @Test
    void chunkDataWithoutItsCrlfIsCutOffByTheIdleTimeout() throws IOException {
        restart(Limits.builder().idleTimeout(Duration.ofSeconds(1)).build());
        assertBrokenBodyRejected(CHUNKED_UPLOAD + "5\r\nhelloXX0\r\n\r\n", 5, Duration.ofMillis(2500));
    }

    @Test
    void chunkSizeOverflow() throws IOException {
        assertBrokenBodyRejected(CHUNKED_UPLOAD + "1ffffffffffffffff0\r\nhello\r\n0\r\n\r\n", 0);
    }

    // ---- body limits

    @Test
    void chunkedBodyGrowingPastTheLimitIsCut() throws IOException {
        restart(Limits.builder().maxRequestBodyBytes(1024).build());
        String chunk = "200\r\n" + "x".repeat(512) + "\r\n";
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            try {
                c.send(CHUNKED_UPLOAD + chunk.repeat(4) + "0\r\n\r\n");
                RawResponse r = c.readResponse(ONE_SECOND);
                assertThat(r.status()).as("answer to an oversized body: %s %s", r, r.body()).isEqualTo(413);
                assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
                assertThat(r.body()).contains("\"code\":\"body-too-large\"");
            } catch (EOFException | SocketException closed) {
                // the request went upstream before the limit was crossed; closing is the answer
            }
            assertThat(c.isClosedByPeer(ONE_SECOND)).as("connection closed within 1 s").isTrue();
        }
        // Before UndertowOptions.MAX_ENTITY_SIZE was set on the listener all 2048 bytes went upstream and
        // the client got 200; before failed attempts closed the upstream socket abruptly, the cut body
        // was finished with a clean last chunk and looked complete to the backend.
        assertThat(maxBodyBytes.get()).as("body bytes forwarded").isLessThanOrEqualTo(1024);
        assertThat(completeBodies.get()).as("the backend never sees the cut body as complete").isZero();
    }

    @Test
    void declaredBodyOverLimitWithExpectContinueGets413AndNo100() throws IOException {
        restart(Limits.builder().maxRequestBodyBytes(1024).build());
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n");
            RawResponse r = c.readResponse(ONE_SECOND);
            assertThat(r.status()).as("first answer: %s", r).isEqualTo(413);
            assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
            assertThat(r.body()).contains("\"code\":\"body-too-large\"");
            assertThat(c.isClosedByPeer(ONE_SECOND)).as("connection closed within 1 s").isTrue();
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void expectContinueGets100ThenTheBackendsAnswer() throws IOException {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            RawResponse interim = c.readResponse(ONE_SECOND);
            assertThat(interim.statusLine()).startsWith("HTTP/1.1 100");
            c.send("hello");
            RawResponse r = c.readResponse(ONE_SECOND);
            assertThat(r.status()).as("final answer: %s", r).isEqualTo(200);
            assertThat(r.body()).isEqualTo("got 5");
        }
        assertThat(completeBodies.get()).isEqualTo(1);
    }

    // ---- time limits

    @Test
    void slowlorisIsCutOffByTheParseTimeout() throws IOException {
        restart(Limits.builder().requestParseTimeout(Duration.ofSeconds(1)).build());
        byte[] head = "GET /x HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                .getBytes(UTF_8);
        long start = System.nanoTime();
        boolean closed = false;
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            // one byte every 200 ms; the wait for the close is the pacing
            for (int i = 0; i < head.length && !closed; i++) {
                try {
                    c.send(new byte[] {head[i]});
                } catch (IOException e) {
                    closed = true; // the write failed because the gateway already closed
                    break;
                }
                closed = c.isClosedByPeer(Duration.ofMillis(200));
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(closed).as("closed before the head was complete").isTrue();
        assertThat(took).as("time to close").isBetween(Duration.ofMillis(800), Duration.ofMillis(2500));
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void idleKeepAliveConnectionIsClosed() throws IOException {
        restart(Limits.builder().idleTimeout(Duration.ofSeconds(1)).build());
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(c.readResponse(ONE_SECOND).status()).isEqualTo(200);
            long idleSince = System.nanoTime();
            assertThat(c.isClosedByPeer(Duration.ofSeconds(3))).as("idle connection closed").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - idleSince)).isBetween(Duration.ofMillis(800), Duration.ofMillis(2500));
        }
    }
}
