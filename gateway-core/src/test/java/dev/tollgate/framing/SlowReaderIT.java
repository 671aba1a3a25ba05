package dev.tollgate.framing;

import dev.tollgate.Limits;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that asks for a large response and stops reading holds a connection, an upstream
 * connection and buffers. The gateway cuts it off once nothing could be written for the idle timeout.
 */
class SlowReaderIT extends GatewayFixture {

    @BeforeEach
    void start() {
        backend = TestBackend.start();
        gateway = gateway(Limits.builder().idleTimeout(Duration.ofSeconds(1)).build());
    }

    @Test
    void aClientThatStopsReadingIsCutOffAfterTheIdleTimeout() throws IOException {
        try (RawHttp stalled = RawHttp.connect(gateway.port())) {
            stalled.send("GET /bytes/" + 512L * 1024 * 1024 + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            Await.until(() -> gateway.inFlight() == 1, Duration.ofSeconds(5), "the download is under way");
            long start = System.nanoTime();
            // the client reads nothing: once the socket buffers are full the gateway's writes stall
            Await.until(() -> gateway.inFlight() == 0, Duration.ofSeconds(8), "the stalled download is cut off");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        }
        // the gateway goes on serving
        try (RawHttp next = RawHttp.connect(gateway.port())) {
            next.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawResponse r = next.readResponse(Duration.ofSeconds(2));
            assertThat(r.status()).isEqualTo(200);
        }
    }

    @Test
    void aSteadyReaderIsNotCutOff() throws Exception {
        // the guard sees progress only when the kernel's send buffer frees up, which at a slow pace can
        // take longer than a second with megabytes queued: give this reader a few seconds of slack
        restart(Limits.builder().idleTimeout(Duration.ofSeconds(3)).build());
        long length = 8L * 1024 * 1024;
        try (RawHttp slow = RawHttp.connect(gateway.port())) {
            slow.send("GET /bytes/" + length + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            // reads in sips with pauses, about 3 MB/s: progress keeps it alive
            java.io.InputStream in = slow.socket().getInputStream();
            byte[] sip = new byte[64 * 1024];
            long total = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline) {
                int n = in.read(sip);
                if (n < 0) {
                    break;
                }
                total += n;
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            }
            assertThat(total).as("headers plus the whole body arrived").isGreaterThan(length);
        }
    }
}
