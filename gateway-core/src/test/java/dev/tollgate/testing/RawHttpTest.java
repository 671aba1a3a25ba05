package dev.tollgate.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Tests {@link RawHttp} against canned servers (exact bytes) and a {@link TestBackend}. */
class RawHttpTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private CannedServer server;

    @AfterEach
    void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void parsesContentLengthBodyAndKeepsTheConnectionForTheNextResponse() throws Exception {
        server = new CannedServer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello"
                + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false);
        try (RawHttp raw = RawHttp.connect(server.port())) {
            RawResponse first = raw.readResponse(TIMEOUT);
            RawResponse second = raw.readResponse(TIMEOUT);

            assertThat(first.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(first.body()).isEqualTo("hello");
            assertThat(first.headers().get("x-A")).containsExactly("1", "2");
            assertThat(first.chunked()).isFalse();
            assertThat(second.status()).isEqualTo(404);
            assertThat(second.body()).isEmpty();
        }
    }

    @Test
    void decodesChunkedBodyWithExtensionsAndTrailers() throws Exception {
        server = new CannedServer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Sum: 7\r\nX-Sum: 8\r\n\r\n", false);
        try (RawHttp raw = RawHttp.connect(server.port())) {
            RawResponse response = raw.readResponse(TIMEOUT);

            assertThat(response.chunked()).isTrue();
            assertThat(response.body()).isEqualTo("abc0123456789");
            assertThat(response.trailers().get("x-sum")).containsExactly("7", "8");
        }
    }

    @Test
    void readsUntilCloseWithoutLengthOrChunking() throws Exception {
        server = new CannedServer("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true);
        try (RawHttp raw = RawHttp.connect(server.port())) {
            assertThat(raw.readResponse(TIMEOUT).body()).isEqualTo("until the end");
        }
    }

    @Test
    void headResponseHasNoBodyDespiteContentLength() throws Exception {
        server = new CannedServer("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", false);
        try (RawHttp raw = RawHttp.connect(server.port())) {
            RawResponse response = raw.readHeadResponse(TIMEOUT);
            assertThat(response.header("content-length")).isEqualTo("1000");
            assertThat(response.body()).isEmpty();
        }
    }

    @Test
    void silentServerTimesOutInsteadOfHanging() throws Exception {
        server = new CannedServer("", false);
        try (RawHttp raw = RawHttp.connect(server.port())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> raw.readResponse(Duration.ofMillis(200)))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT);
            assertThat(raw.isClosedByPeer(Duration.ofMillis(100))).isFalse();
        }
    }

    @Test
    void truncatedBodyIsAnEofNotAHang() throws Exception {
        server = new CannedServer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true);
        try (RawHttp raw = RawHttp.connect(server.port())) {
            assertThatThrownBy(() -> raw.readResponse(TIMEOUT))
                    .isInstanceOf(EOFException.class)
                    .hasMessageContaining("5 of 10");
        }
    }

    @Test
    void readAllReturnsEverythingUntilClose() throws Exception {
        server = new CannedServer("not http at all", true);
        try (RawHttp raw = RawHttp.connect(server.port())) {
            assertThat(new String(raw.readAll(TIMEOUT), ISO_8859_1)).isEqualTo("not http at all");
        }
    }

    @Test
    void malformedRequestGets400AndTheBackendClosesTheConnection() throws Exception {
        try (TestBackend backend = TestBackend.start();
             RawHttp raw = RawHttp.connect(backend.port())) {
            raw.send("GET /has space in it HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(raw.readResponse(TIMEOUT).status()).isEqualTo(400);
            assertThat(raw.isClosedByPeer(TIMEOUT)).isTrue();
            assertThat(backend.requestCount()).isZero();
        }
    }

    /** Accepts one connection, writes the canned bytes, then closes it or holds it open until closed. */
    private static final class CannedServer implements AutoCloseable {
        private final ServerSocket socket;
        private final CountDownLatch closed = new CountDownLatch(1);

        CannedServer(String response, boolean closeAfterWrite) throws IOException {
            socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
            Thread thread = new Thread(() -> {
                try (Socket connection = socket.accept()) {
                    OutputStream out = connection.getOutputStream();
                    out.write(response.getBytes(ISO_8859_1));
                    out.flush();
                    if (!closeAfterWrite) {
                        closed.await();
                    }
                } catch (IOException | InterruptedException e) {
                    // the test is over
                }
            }, "canned-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            closed.countDown();
            socket.close();
        }
    }
}
