package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

    @Test
    void deltaCountsLiveThreadsAndNewOnesFromZero() {
        ThreadCpu.Snapshot before = new ThreadCpu.Snapshot(Map.of(1L, 100L, 2L, 50L, 3L, 70L));
        // thread 3 ended (its time is lost), thread 4 started in between
        ThreadCpu.Snapshot after = new ThreadCpu.Snapshot(Map.of(1L, 160L, 2L, 50L, 4L, 30L));

        assertThat(after.nanosSince(before)).isEqualTo(60 + 0 + 30);
    }

    @Test
    void meterReadsOnlyThePrefixedThreads() throws Exception {
        ThreadCpu.Meter busy = new ThreadCpu.Meter("thread-cpu-test-busy");
        ThreadCpu.Meter none = new ThreadCpu.Meter("thread-cpu-test-nobody");
        CountDownLatch stop = new CountDownLatch(1);
        Thread spinner = new Thread(() -> {
            while (stop.getCount() > 0) {
                Thread.onSpinWait();
            }
        }, "thread-cpu-test-busy-1");
        spinner.start();
        try {
            busy.windowOpened();
            none.windowOpened();
            // wait until the spinner has burned some CPU inside the window, not for a fixed time
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long startCpu = mx.getThreadCpuTime(spinner.getId());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ThreadCpu.supported() && mx.getThreadCpuTime(spinner.getId()) - startCpu < TimeUnit.MILLISECONDS.toNanos(50)
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            busy.windowClosed();
            none.windowClosed();
        } finally {
            stop.countDown();
            spinner.join(TimeUnit.SECONDS.toMillis(5));
        }

        if (ThreadCpu.supported()) {
            assertThat(busy.nanos()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(20));
            assertThat(none.nanos()).isZero();
        } else {
            assertThat(busy.nanos()).isEqualTo(-1);
        }
    }

    @Test
    void meterWithoutPrefixOrWindowMeasuresNothing() {
        ThreadCpu.Meter unknown = new ThreadCpu.Meter(null);
        unknown.windowOpened();
        unknown.windowClosed();
        assertThat(unknown.nanos()).isEqualTo(-1);
        assertThat(new ThreadCpu.Meter("x").nanos()).isEqualTo(-1);
    }
}
