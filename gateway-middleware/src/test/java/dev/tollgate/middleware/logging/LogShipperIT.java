package dev.tollgate.middleware.logging;

import dev.tollgate.testing.Await;
import dev.tollgate.testing.FaultProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogShipperIT {

    private final LoggingFixture fx = new LoggingFixture();
    private final TestIngest ingest = fx.own(new TestIngest());

    @AfterEach
    void close() throws Exception {
        fx.close();
    }

    private LogShipper.Builder shipper(URI url) {
        return LogShipper.builder(url).linger(Duration.ofMillis(50)).backoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .requestTimeout(Duration.ofSeconds(5)).connectTimeout(Duration.ofSeconds(2));
    }

    private static void offer(LogShipper s, int from, int to) {
        for (int i = from; i < to; i++) {
            assertThat(s.offer("{\"n\":" + i + "}")).isTrue();
        }
    }

    private static List<String> lines(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "{\"n\":" + i + "}").toList();
    }

    private static void assertNoBatchAcceptedTwice(List<TestIngest.Batch> batches) {
        Set<String> ids = new HashSet<>();
        for (TestIngest.Batch b : batches) {
            if (b.status() / 100 == 2) {
                assertThat(ids.add(b.id())).as("batch " + b.id() + " acknowledged twice").isTrue();
            }
        }
    }

    @Test
    void shipsGzippedNdjsonBatchesWithAnIdempotencyKey() {
        LogShipper s = fx.own(shipper(ingest.uri()).batchLines(10).header("X-Api-Key", "k").build());
        offer(s, 0, 25);
        Await.until(() -> s.shipped() == 25, "25 lines shipped");
        assertThat(ingest.acceptedLines()).containsExactlyElementsOf(lines(0, 25));
        List<TestIngest.Batch> batches = ingest.batches();
        assertThat(batches).hasSizeGreaterThanOrEqualTo(3).allSatisfy(b -> {
            assertThat(b.contentType()).isEqualTo("application/x-ndjson");
            assertThat(b.contentEncoding()).isEqualTo("gzip");
            assertThat(b.id()).matches("[0-9a-f-]{36}");
            assertThat(b.lines()).hasSizeLessThanOrEqualTo(10);
        });
        assertNoBatchAcceptedTwice(batches);
        assertThat(s.batchesShipped()).isEqualTo(batches.size());
        assertThat(s.dropped()).isZero();
    }

    @Test
    void aFailedBatchIsRetriedUnderItsKeyAndAnAcknowledgedOneNeverAgain() {
        ingest.failNext(3);
        LogShipper s = fx.own(shipper(ingest.uri()).batchLines(5).build());
        offer(s, 0, 5);
        Await.until(() -> s.shipped() == 5, "the first batch through after three 500s");
        offer(s, 5, 30);
        Await.until(() -> s.shipped() == 30, "all lines shipped");

        List<TestIngest.Batch> batches = ingest.batches();
        assertThat(batches.subList(0, 4)).extracting(TestIngest.Batch::status).containsExactly(500, 500, 500, 200);
        assertThat(batches.subList(0, 4)).extracting(TestIngest.Batch::id).containsOnly(batches.get(0).id());
        assertThat(ingest.acceptedLines()).containsExactlyElementsOf(lines(0, 30));
        assertNoBatchAcceptedTwice(batches);
        assertThat(s.failedSends()).isEqualTo(3);
        assertThat(s.dropped()).isZero();
    }

    @Test
    void whileTheIngestIsDownItPausesDropsTheOldestCountedAndResumesAfter() throws Exception {
        FaultProxy proxy = fx.own(FaultProxy.start(ingest.port()));
        proxy.mode(FaultProxy.Mode.REFUSE);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LogShipper s = fx.own(shipper(URI.create("http://127.0.0.1:" + proxy.port() + "/ingest")).queueCapacity(20)
                .batchLines(5).pause(3, Duration.ofMillis(300)).meterRegistry(registry).build());
        offer(s, 0, 100);
        Await.until(s::paused, "the shipper to pause");
        // at most one batch (5) in hand and the queue (20) survive; every other line is a counted drop
        assertThat(s.dropped()).isGreaterThanOrEqualTo(75);
        assertThat(registry.get("tollgate.log.shipping.dropped").functionCounter().count()).isEqualTo(s.dropped());
        assertThat(s.shipped()).isZero();

        proxy.mode(FaultProxy.Mode.PASS);
        Await.until(() -> s.shipped() + s.dropped() == 100, Duration.ofSeconds(10), "everything shipped or dropped");
        assertThat(s.paused()).isFalse();
        offer(s, 100, 110);
        Await.until(() -> s.shipped() + s.dropped() == 110, Duration.ofSeconds(10), "the new lines shipped");

        List<String> accepted = ingest.acceptedLines();
        assertThat(accepted).doesNotHaveDuplicates().hasSize((int) s.shipped())
                .containsAll(lines(80, 110)); // the newest lines survive, the oldest went
        assertNoBatchAcceptedTwice(ingest.batches());
        assertThat(registry.get("tollgate.log.shipping.shipped").functionCounter().count()).isEqualTo(s.shipped());
    }

    @Test
    void closeFlushesWhatIsQueued() {
        LogShipper s = shipper(ingest.uri()).linger(Duration.ofSeconds(30)).batchLines(100).build();
        offer(s, 0, 7);
        s.close();
        assertThat(ingest.acceptedLines()).containsExactlyElementsOf(lines(0, 7));
        assertThat(s.shipped()).isEqualTo(7);
        assertThat(s.offer("late")).isFalse();
        assertThat(s.dropped()).isEqualTo(1);
    }

    @Test
    void closeGivesUpOnADownIngestAfterTheFlushTimeoutAndCountsTheRest() throws Exception {
        FaultProxy proxy = fx.own(FaultProxy.start(ingest.port()));
        proxy.mode(FaultProxy.Mode.REFUSE);
        LogShipper s = shipper(URI.create("http://127.0.0.1:" + proxy.port() + "/ingest"))
                .flushTimeout(Duration.ofMillis(300)).build();
        offer(s, 0, 5);
        long start = System.nanoTime();
        s.close();
        // a hang check, not a speed assertion: close must not wait for an ingest that is gone
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        Await.until(() -> s.dropped() == 5, "the unshipped lines counted");
        assertThat(s.shipped()).isZero();
    }

    @Test
    void aBatchTheIngestRefusesWith4xxIsDroppedNotRetried() {
        ingest.mode(TestIngest.Mode.REJECT_400);
        LogShipper s = fx.own(shipper(ingest.uri()).batchLines(50).build());
        offer(s, 0, 3);
        Await.until(() -> s.dropped() == 3, "the refused batch counted as dropped");
        assertThat(ingest.batches()).hasSize(1);
    }

    @Test
    void aSlowIngestDelaysOnlyTheShipper() {
        ingest.delay(Duration.ofMillis(500));
        LogShipper s = fx.own(shipper(ingest.uri()).queueCapacity(50).batchLines(10).build());
        long start = System.nanoTime();
        offer(s, 0, 1_000);
        long offerNanos = System.nanoTime() - start;
        // 1000 offers while the ingest sleeps: the queue drops the oldest instead of waiting
        assertThat(Duration.ofNanos(offerNanos)).isLessThan(Duration.ofSeconds(2));
        assertThat(s.dropped()).isGreaterThanOrEqualTo(1_000 - 50 - 3 * 10); // at most a few batches left meanwhile
        Await.until(() -> s.shipped() + s.dropped() == 1_000, Duration.ofSeconds(15), "the rest shipped");
        assertThat(ingest.acceptedLines()).doesNotHaveDuplicates().contains("{\"n\":999}");
    }

    @Test
    void builderRejectsBadValues() {
        assertThatThrownBy(() -> LogShipper.builder(URI.create("ftp://x/")))
                .hasMessage("logShipping.url: 'ftp://x/' (expected: an http or https URL with a host)");
        assertThatThrownBy(() -> LogShipper.builder(URI.create("http://x/")).queueCapacity(0))
                .hasMessage("logShipping.queueCapacity: 0 (expected: 1..10000000)");
        assertThatThrownBy(() -> LogShipper.builder(URI.create("http://x/")).linger(Duration.ZERO))
                .hasMessage("logShipping.linger: PT0S (expected: > 0)");
        assertThatThrownBy(() -> LogShipper.builder(URI.create("http://x/")).backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("logShipping.maxBackoff: PT1S (expected: >= backoff PT2S)");
        assertThatThrownBy(() -> LogShipper.builder(URI.create("http://x/")).batchBytes(10))
                .hasMessage("logShipping.batchBytes: 10 (expected: >= 1024)");
    }
}
