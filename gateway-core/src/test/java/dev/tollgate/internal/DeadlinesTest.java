package dev.tollgate.internal;

import dev.tollgate.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-thread timeout list, on a real XNIO IO thread. */
class DeadlinesTest {

    private final XnioWorker worker;
    private final XnioIoThread thread;

    DeadlinesTest() throws Exception {
        worker = Xnio.getInstance().createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 1));
        thread = worker.getIoThread(0);
    }

    @AfterEach
    void stop() {
        worker.shutdownNow();
    }

    private <T> T onThread(Supplier<T> s) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        thread.execute(() -> f.complete(s.get()));
        return f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void expiredEntriesFireInOrderAndCancelledOnesNever() throws Exception {
        Deadlines deadlines = new Deadlines(thread, Duration.ofMillis(50).toNanos());
        List<String> fired = new CopyOnWriteArrayList<>();
        Deadlines.Entry b = onThread(() -> {
            deadlines.add(() -> fired.add("a"));
            Deadlines.Entry entry = deadlines.add(() -> fired.add("b"));
            deadlines.add(() -> fired.add("c"));
            return entry;
        });
        onThread(() -> {
            b.cancel();
            return null;
        });
        Await.until(() -> fired.size() == 2, Duration.ofSeconds(2), "a and c fire");
        assertThat(fired).containsExactly("a", "c");
        assertThat(onThread(deadlines::size)).isZero();
    }

    @Test
    void entriesAddedLaterFireLaterAndTheTimerRearms() throws Exception {
        Deadlines deadlines = new Deadlines(thread, Duration.ofMillis(100).toNanos());
        List<Long> firedAt = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        onThread(() -> deadlines.add(() -> firedAt.add(System.nanoTime() - start)));
        Await.until(() -> System.nanoTime() - start > Duration.ofMillis(60).toNanos(), Duration.ofSeconds(1), "60 ms pass");
        onThread(() -> deadlines.add(() -> firedAt.add(System.nanoTime() - start)));
        Await.until(() -> firedAt.size() == 2, Duration.ofSeconds(2), "both fire");
        assertThat(firedAt.get(0)).isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(firedAt.get(1)).isGreaterThanOrEqualTo(Duration.ofMillis(160).toNanos());
    }

    @Test
    void cancellingEverythingLeavesNothingPending() throws Exception {
        Deadlines deadlines = new Deadlines(thread, Duration.ofSeconds(30).toNanos());
        int pending = onThread(() -> {
            Deadlines.Entry[] entries = new Deadlines.Entry[1000];
            for (int i = 0; i < entries.length; i++) {
                entries[i] = deadlines.add(() -> {
                    throw new AssertionError("must not fire");
                });
            }
            for (int i = 0; i < entries.length; i += 2) {
                entries[i].cancel();
            }
            for (int i = entries.length - 1; i > 0; i -= 2) {
                entries[i].cancel();
                entries[i].cancel(); // twice is harmless
            }
            return deadlines.size();
        });
        assertThat(pending).isZero();
    }
}
