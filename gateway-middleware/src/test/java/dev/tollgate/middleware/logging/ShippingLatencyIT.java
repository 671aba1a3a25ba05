package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.FaultProxy;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;

import static dev.tollgate.middleware.logging.LoggingFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acceptance test for shipping: access lines go through a real logback appender to a real
 * local ingest that is healthy, slow (2 s per batch), then down, then healthy again. Request latency
 * through the gateway is measured in each phase (printed to the test output) and checked against
 * generous bounds, since this machine is shared; drops are counted; shipping resumes after recovery.
 */
class ShippingLatencyIT {

    private static final int REQUESTS = 200;

    private final LoggingFixture fx = new LoggingFixture();
    private final TestIngest ingest = fx.own(new TestIngest());
    private final TestBackend backend = fx.own(TestBackend.start());
    private Logger accessLogger;
    private LogShippingAppender appender;

    @AfterEach
    void close() throws Exception {
        if (appender != null) {
            accessLogger.detachAppender(appender);
            appender.stop();
            accessLogger.setLevel(null);
        }
        fx.close();
    }

    @Test
    void aSlowOrDownIngestDoesNotSlowRequests() throws Exception {
        FaultProxy proxy = fx.own(FaultProxy.start(ingest.port()));
        LogShipper shipper = LogShipper.builder(URI.create("http://127.0.0.1:" + proxy.port() + "/ingest"))
                .queueCapacity(100).batchLines(50).linger(Duration.ofMillis(20))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(100)).pause(3, Duration.ofMillis(200))
                .requestTimeout(Duration.ofSeconds(5)).build();
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        appender = LogShippingAppender.of(shipper);
        appender.setContext(context);
        appender.setName("test-shipping");
        appender.start();
        accessLogger = context.getLogger(RequestLogging.ACCESS_LOGGER);
        accessLogger.setLevel(ch.qos.logback.classic.Level.INFO);
        accessLogger.addAppender(appender);

        RequestLogging logging = fx.own(RequestLogging.builder().format(LogFormat.JSON).build());
        Gateway gateway = fx.start(Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .use(LoggingFixture.requestIds()).use(logging.middleware()).listener(logging)
                .route(Route.prefix("/").id("all").to("b")));

        measure(gateway, "warm-up", 100);
        long[] healthy = measure(gateway, "healthy", REQUESTS);
        Await.until(() -> shipper.queued() == 0, "the healthy phase shipped");
        long droppedHealthy = shipper.dropped();

        ingest.delay(Duration.ofSeconds(2));
        long[] slow = measure(gateway, "slow", REQUESTS);
        long droppedSlow = shipper.dropped() - droppedHealthy;

        ingest.delay(Duration.ZERO);
        proxy.mode(FaultProxy.Mode.REFUSE);
        Await.until(shipper::paused, Duration.ofSeconds(15), "the shipper to pause while the ingest is down");
        long[] down = measure(gateway, "down", REQUESTS);

        proxy.mode(FaultProxy.Mode.PASS);
        Await.until(() -> !shipper.paused() && shipper.queued() == 0, Duration.ofSeconds(15), "shipping to resume");
        long before = ingest.acceptedLines().size();
        fx.send(get(gateway, "/after-recovery").build());
        Await.until(() -> ingest.acceptedLines().stream().anyMatch(l -> l.contains("/after-recovery")),
                Duration.ofSeconds(10), "a line from after the recovery");

        System.out.printf("ShippingLatencyIT: %d requests per phase; p50/p99 ms healthy %.3f/%.3f, slow ingest %.3f/%.3f, "
                        + "ingest down %.3f/%.3f; lines dropped: %d healthy, %d while slow, %d in all; shipped %d%n",
                REQUESTS, ms(p(healthy, 50)), ms(p(healthy, 99)), ms(p(slow, 50)), ms(p(slow, 99)), ms(p(down, 50)),
                ms(p(down, 99)), droppedHealthy, droppedSlow, shipper.dropped(), shipper.shipped());

        assertThat(droppedHealthy).isZero();
        assertThat(droppedSlow).as("a 2 s ingest cannot keep up: lines are dropped, and counted").isPositive();
        assertThat(ingest.acceptedLines()).hasSizeGreaterThan((int) before).doesNotHaveDuplicates();
        // were requests waiting on the ingest, many would take its 2 s: the p50 bound catches that, and the
        // p99 one, which a loaded machine's hiccups can stretch, is the larger of 2x + 50 ms and half that delay
        long p50Bound = 2 * p(healthy, 50) + Duration.ofMillis(50).toNanos();
        long p99Bound = Math.max(2 * p(healthy, 99) + Duration.ofMillis(50).toNanos(), Duration.ofSeconds(1).toNanos());
        for (long[] phase : new long[][]{slow, down}) {
            assertThat(p(phase, 50)).as("p50 vs healthy p50 " + ms(p(healthy, 50)) + " ms").isLessThan(p50Bound);
            assertThat(p(phase, 99)).as("p99 vs healthy p99 " + ms(p(healthy, 99)) + " ms").isLessThan(p99Bound);
        }
    }

    private long[] measure(Gateway gateway, String phase, int n) throws Exception {
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            int status = fx.send(get(gateway, "/" + phase + "/" + i).build()).statusCode();
            nanos[i] = System.nanoTime() - start;
            assertThat(status).isEqualTo(200);
        }
        Arrays.sort(nanos);
        return nanos;
    }

    private static long p(long[] sorted, int percentile) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * percentile / 100.0) - 1)];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
