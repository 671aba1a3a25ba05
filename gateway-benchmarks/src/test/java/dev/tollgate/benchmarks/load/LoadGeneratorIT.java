package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.examples.demo.DemoBackend;
import io.undertow.Undertow;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Counting behaviour against real loopback servers; asserts counts, never speed. */
class LoadGeneratorIT {

    private static final Duration ONE_SECOND = Duration.ofSeconds(1);

    @Test
    void closedLoopCompletesRequestsWithoutErrors() throws Exception {
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0)) {
            LoadGenerator generator = new LoadGenerator(LoadTarget.of("127.0.0.1", backend.port(), "/x"), 4, 1_000_000);

            LoadResult result = generator.closedLoop(Duration.ZERO, ONE_SECOND);

            assertThat(result.errors()).as(result.firstError()).isZero();
            assertThat(result.completed()).isPositive();
            assertThat(result.latencyMicros().getTotalCount()).isEqualTo(result.completed());
        }
    }

    @Test
    void windowListenerHearsTheEndOfTheWarmUpAndOfTheWindowOnceEach() throws Exception {
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0)) {
            LoadGenerator generator = new LoadGenerator(LoadTarget.of("127.0.0.1", backend.port(), "/x"), 2, 1_000_000);
            List<String> events = new ArrayList<>();
            long[] at = new long[2];
            long start = System.nanoTime();

            generator.closedLoop(Duration.ofMillis(300), Duration.ofMillis(500), new LoadGenerator.WindowListener() {
                @Override
                public void windowOpened() {
                    events.add("opened");
                    at[0] = System.nanoTime() - start;
                }

                @Override
                public void windowClosed() {
                    events.add("closed");
                    at[1] = System.nanoTime() - start;
                }
            });

            assertThat(events).containsExactly("opened", "closed");
            assertThat(at[0]).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
            assertThat(at[1]).isGreaterThanOrEqualTo(Duration.ofMillis(800).toNanos());
        }
    }

    @Test
    void fixedRateSendsExactlyTheScheduledRequests() throws Exception {
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0)) {
            LoadGenerator generator = new LoadGenerator(LoadTarget.of("127.0.0.1", backend.port(), "/x"), 3, 1_000_000);

            LoadResult result = generator.fixedRate(200, Duration.ofMillis(200), ONE_SECOND);

            assertThat(result.errors()).as(result.firstError()).isZero();
            assertThat(result.completed()).isEqualTo(200);
            assertThat(result.latencyMicros().getTotalCount()).isEqualTo(200);
            // corrected latency is measured from the earlier, intended time
            assertThat(result.latencyMicros().getMaxValue())
                    .isGreaterThanOrEqualTo(result.serviceMicros().getMaxValue() - 1);
        }
    }

    @Test
    void countsNon2xxResponses() throws Exception {
        Undertow server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setIoThreads(1)
                .setHandler(exchange -> exchange.setStatusCode(503))
                .build();
        server.start();
        try {
            int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
            LoadGenerator generator = new LoadGenerator(LoadTarget.of("127.0.0.1", port, "/"), 2, 1_000_000);

            LoadResult result = generator.fixedRate(50, Duration.ZERO, ONE_SECOND);

            assertThat(result.non2xx()).isEqualTo(50);
            assertThat(result.completed()).isZero();
            assertThat(result.firstError()).isEqualTo("HTTP 503");
        } finally {
            server.stop();
        }
    }

    @Test
    void countsConnectionFailuresAndStaysBounded() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort(); // closed again: nothing listens there
        }
        LoadGenerator generator = new LoadGenerator(LoadTarget.of("127.0.0.1", deadPort, "/"), 2, 1_000_000);

        LoadResult result = generator.closedLoop(Duration.ZERO, ONE_SECOND);

        assertThat(result.completed()).isZero();
        assertThat(result.ioErrors()).isPositive()
                // at most one attempt per connection per reconnect delay, plus the first
                .isLessThanOrEqualTo(2 * (ONE_SECOND.dividedBy(LoadGenerator.RECONNECT_DELAY) + 1));
        assertThat(result.firstError()).contains("ConnectException");
    }

    @Test
    void respectsTheRequestCap() throws IOException {
        try (DemoBackend backend = DemoBackend.start("127.0.0.1", 0)) {
            LoadGenerator generator = new LoadGenerator(LoadTarget.of("127.0.0.1", backend.port(), "/"), 4, 100);

            LoadResult result = generator.closedLoop(Duration.ZERO, ONE_SECOND);

            assertThat(result.completed()).isEqualTo(100);
            assertThat(result.errors()).isZero();
        }
    }
}
