package dev.tollgate.middleware.logging;

import dev.tollgate.internal.Checks;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

/**
 * Ships log lines to an HTTP ingest endpoint without ever making the caller wait.
 *
 * <p>{@link #offer(String)} puts a line in a bounded queue and returns; when the queue is full the
 * oldest line is dropped and counted ({@link #dropped()}, metric {@code tollgate.log.shipping.dropped}).
 * One daemon thread of the shipper takes lines off in batches (up to {@code batchLines} lines or
 * {@code batchBytes} bytes, or whatever arrived within {@code linger} of the first), and POSTs each
 * batch as gzip-compressed NDJSON ({@code Content-Type: application/x-ndjson},
 * {@code Content-Encoding: gzip}) with the JDK HTTP client.
 *
 * <p>A batch answered 2xx is done and never sent again. A batch that fails (connection error,
 * timeout, 408, 429 or 5xx) is retried, the same bytes under the same {@code Idempotency-Key} header
 * (a UUID per batch), after an exponential backoff with jitter; after {@code pauseAfterFailures}
 * failures in a row the shipper pauses for {@code pauseFor} before it tries again (lines keep
 * queueing, and dropping the oldest, meanwhile). So an ingest that received a batch but whose answer
 * was lost (a timeout) may see that batch twice, with the same key: it can de-duplicate on it. Any
 * other 4xx drops the batch (counted), since sending it again would be refused again.
 *
 * <p>{@link #close()} stops taking lines, ships what is queued within {@code flushTimeout}, and
 * counts whatever it could not ship as dropped. Thread-safe.
 */
public final class LogShipper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogShipper.class);
    /** The logger the shipper reports on; {@link LogShippingAppender} does not ship its lines, to avoid loops. */
    static final String LOGGER_NAME = LogShipper.class.getName();

    private final URI url;
    private final int batchLines;
    private final long batchBytes;
    private final long lingerNanos;
    private final Duration requestTimeout;
    private final long backoffNanos;
    private final long maxBackoffNanos;
    private final int pauseAfterFailures;
    private final long pauseNanos;
    private final Duration flushTimeout;
    private final Map<String, String> headers;
    private final ArrayBlockingQueue<String> queue;
    private final HttpClient client;
    private final ExecutorService clientExecutor;
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile long closeDeadline;
    private volatile boolean closed;

    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong shipped = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean paused;
    private String carry;

    private LogShipper(Builder b) {
        this.url = b.url;
        this.batchLines = b.batchLines;
        this.batchBytes = b.batchBytes;
        this.lingerNanos = b.linger.toNanos();
        this.requestTimeout = b.requestTimeout;
        this.backoffNanos = b.backoff.toNanos();
        this.maxBackoffNanos = b.maxBackoff.toNanos();
        this.pauseAfterFailures = b.pauseAfterFailures;
        this.pauseNanos = b.pauseFor.toNanos();
        this.flushTimeout = b.flushTimeout;
        this.headers = Map.copyOf(b.headers);
        this.queue = new ArrayBlockingQueue<>(b.queueCapacity);
        this.clientExecutor = Executors.newSingleThreadExecutor(r -> daemon(r, "tollgate-log-shipper-http"));
        this.client = HttpClient.newBuilder().connectTimeout(b.connectTimeout).executor(clientExecutor)
                .version(HttpClient.Version.HTTP_1_1).build();
        if (b.registry != null) {
            Meters.bind(this, b.registry);
        }
        this.thread = daemon(this::run, "tollgate-log-shipper");
        thread.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** A builder for a shipper that POSTs to {@code url} (http or https). */
    public static Builder builder(URI url) {
        return new Builder(url);
    }

    /**
     * Queues one line (without its line break). Never blocks: when the queue is full the oldest line
     * is dropped and counted. Any thread.
     *
     * @return false if the shipper is closed (the line is dropped and counted)
     */
    public boolean offer(String line) {
        Objects.requireNonNull(line, "line");
        if (closed) {
            dropped.incrementAndGet();
            return false;
        }
        while (!queue.offer(line)) {
            if (queue.poll() != null) {
                dropped.incrementAndGet();
            }
        }
        return true;
    }

    /** Lines dropped: the queue was full, the ingest refused a batch, the shipper closed before shipping them. */
    public long dropped() {
        return dropped.get();
    }

    /** Lines the ingest acknowledged with a 2xx. */
    public long shipped() {
        return shipped.get();
    }

    /** Batches the ingest acknowledged with a 2xx. */
    public long batchesShipped() {
        return batches.get();
    }

    /** Sends that failed (each retry counts). */
    public long failedSends() {
        return failures.get();
    }

    /** Lines waiting in the queue. */
    public int queued() {
        return queue.size();
    }

    /** Whether the shipper is pausing after consecutive failures. */
    public boolean paused() {
        return paused;
    }

    private void run() {
        Batch pending = null;
        int failuresInARow = 0;
        while (true) {
            boolean flushing = closing.getCount() == 0;
            if (flushing && System.nanoTime() - closeDeadline > 0) {
                break;
            }
            if (pending == null) {
                pending = nextBatch(flushing);
                if (pending == null) {
                    if (flushing) {
                        break;
                    }
                    continue;
                }
            }
            int status = send(pending);
            if (status >= 200 && status < 300) {
                shipped.addAndGet(pending.lines);
                batches.incrementAndGet();
                if (paused || failuresInARow > 0) {
                    log.info("log ingest {} accepts again", url);
                }
                paused = false;
                failuresInARow = 0;
                pending = null;
                continue;
            }
            failures.incrementAndGet();
            if (status >= 400 && status < 500 && status != 408 && status != 429) {
                log.warn("log ingest {} refused a batch of {} lines with {}; dropped", url, pending.lines, status);
                dropped.addAndGet(pending.lines);
                pending = null;
                continue;
            }
            failuresInARow++;
            long wait;
            if (failuresInARow >= pauseAfterFailures) {
                if (!paused) {
                    log.warn("log ingest {} failed {} times in a row ({}); pausing {} ms, lines queue meanwhile", url,
                            failuresInARow, status < 0 ? "no answer" : "status " + status, pauseNanos / 1_000_000);
                }
                paused = true;
                failuresInARow = 0;
                wait = pauseNanos;
            } else {
                long exp = Math.min(maxBackoffNanos, backoffNanos << Math.min(20, failuresInARow - 1));
                wait = exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1);
            }
            await(wait);
        }
        int left = (pending == null ? 0 : pending.lines) + (carry == null ? 0 : 1) + queue.size();
        queue.clear();
        if (left > 0) {
            dropped.addAndGet(left);
            log.warn("log shipping stopped with {} line(s) unshipped", left);
        }
        clientExecutor.shutdownNow();
    }

    /** Waits up to {@code nanos}, or less when a close begins (which ends the pause; the flush has its own deadline). */
    private void await(long nanos) {
        try {
            if (closing.getCount() == 0) {
                long left = Math.min(nanos, closeDeadline - System.nanoTime());
                if (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, backoffNanos));
                }
            } else {
                closing.await(nanos, TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Collects the next batch: waits for a first line, then for more until full or linger passes. */
    private Batch nextBatch(boolean flushing) {
        List<String> lines = new ArrayList<>();
        long bytes = 0;
        long deadline = 0;
        try {
            while (lines.size() < batchLines) {
                String line = carry;
                carry = null;
                if (line == null) {
                    if (flushing || closing.getCount() == 0) {
                        line = queue.poll();
                    } else if (lines.isEmpty()) {
                        line = queue.poll(100, TimeUnit.MILLISECONDS);
                    } else {
                        long left = deadline - System.nanoTime();
                        line = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    }
                }
                if (line == null) {
                    if (lines.isEmpty() && !flushing && closing.getCount() != 0) {
                        return null; // idle: loop again, which also notices a close
                    }
                    break;
                }
                long size = line.length() + 1L;
                if (!lines.isEmpty() && bytes + size > batchBytes) {
                    carry = line;
                    break;
                }
                if (lines.isEmpty()) {
                    deadline = System.nanoTime() + lingerNanos;
                }
                lines.add(line);
                bytes += size;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return lines.isEmpty() ? null : new Batch(lines);
    }

    /** POSTs the batch; the status, or -1 when there was no answer. */
    private int send(Batch batch) {
        HttpRequest.Builder rb = HttpRequest.newBuilder(url).timeout(requestTimeout)
                .header("Content-Type", "application/x-ndjson")
                .header("Content-Encoding", "gzip")
                .header("Idempotency-Key", batch.id)
                .POST(HttpRequest.BodyPublishers.ofByteArray(batch.gzipped));
        headers.forEach(rb::header);
        try {
            return client.send(rb.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            log.debug("log ingest {}: {}", url, e.toString());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Ships what is queued, waiting at most the flush timeout, then stops. Lines offered after this are
     * dropped and counted. Safe to call more than once, from any thread but the shipper's own.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closeDeadline = System.nanoTime() + flushTimeout.toNanos();
            closing.countDown();
        }
        try {
            // a send in progress may run into its request timeout; do not wait much beyond the flush time
            thread.join(flushTimeout.toMillis() + 1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One batch: its lines, gzipped once and sent as often as needed under one key. */
    private static final class Batch {
        final String id = UUID.randomUUID().toString();
        final int lines;
        final byte[] gzipped;

        Batch(List<String> lines) {
            this.lines = lines.size();
            ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
            try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
                for (String line : lines) {
                    gz.write(line.getBytes(StandardCharsets.UTF_8));
                    gz.write('\n');
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e); // in-memory streams do not fail
            }
            this.gzipped = out.toByteArray();
        }
    }

    /** Micrometer in its own class, so the shipper loads without it when no registry is given. */
    private static final class Meters {
        static void bind(LogShipper s, Object registry) {
            MeterRegistry r = (MeterRegistry) registry;
            FunctionCounter.builder("tollgate.log.shipping.dropped", s, LogShipper::dropped)
                    .description("Log lines never shipped: queue full, refused by the ingest, or left at close").register(r);
            FunctionCounter.builder("tollgate.log.shipping.shipped", s, LogShipper::shipped)
                    .description("Log lines the ingest acknowledged").register(r);
            FunctionCounter.builder("tollgate.log.shipping.failures", s, LogShipper::failedSends)
                    .description("Failed batch sends, retries included").register(r);
            Gauge.builder("tollgate.log.shipping.queued", s, LogShipper::queued)
                    .description("Log lines waiting to be shipped").register(r);
        }
    }

    /** Builds a {@link LogShipper}. Not thread-safe. */
    public static final class Builder {
        private final URI url;
        private int queueCapacity = 10_000;
        private int batchLines = 500;
        private long batchBytes = 1024 * 1024;
        private Duration linger = Duration.ofSeconds(1);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration backoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(10);
        private int pauseAfterFailures = 5;
        private Duration pauseFor = Duration.ofSeconds(30);
        private Duration flushTimeout = Duration.ofSeconds(5);
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Object registry;

        private Builder(URI url) {
            Objects.requireNonNull(url, "url");
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
                throw new IllegalArgumentException("logShipping.url: '" + url + "' (expected: an http or https URL with a host)");
            }
            this.url = url;
        }

        /** Lines held while waiting to be shipped; the oldest is dropped beyond it. Default 10000. */
        public Builder queueCapacity(int lines) {
            this.queueCapacity = Checks.range("logShipping.queueCapacity", lines, 1, 10_000_000);
            return this;
        }

        /** Most lines in one batch. Default 500. */
        public Builder batchLines(int lines) {
            this.batchLines = Checks.range("logShipping.batchLines", lines, 1, 100_000);
            return this;
        }

        /** Most uncompressed bytes in one batch (a single longer line still goes, alone). Default 1 MiB. */
        public Builder batchBytes(long bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("logShipping.batchBytes: " + bytes + " (expected: >= 1024)");
            }
            this.batchBytes = bytes;
            return this;
        }

        /** How long a batch waits for more lines after its first. Default 1 s. */
        public Builder linger(Duration linger) {
            this.linger = Checks.positive("logShipping.linger", linger);
            return this;
        }

        /** Connect timeout to the ingest. Default 5 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Checks.positive("logShipping.connectTimeout", timeout);
            return this;
        }

        /** Time for one POST to be answered. Default 10 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Checks.positive("logShipping.requestTimeout", timeout);
            return this;
        }

        /** First retry delay and its cap; each retry doubles it, with jitter. Default 200 ms, 10 s. */
        public Builder backoff(Duration initial, Duration max) {
            this.backoff = Checks.positive("logShipping.backoff", initial);
            this.maxBackoff = Checks.positive("logShipping.maxBackoff", max);
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("logShipping.maxBackoff: " + max + " (expected: >= backoff " + initial + ")");
            }
            return this;
        }

        /** After this many failures in a row the shipper pauses for {@code pauseFor}. Default 5, 30 s. */
        public Builder pause(int afterFailures, Duration pauseFor) {
            this.pauseAfterFailures = Checks.range("logShipping.pauseAfterFailures", afterFailures, 1, 1_000);
            this.pauseFor = Checks.positive("logShipping.pauseFor", pauseFor);
            return this;
        }

        /** How long {@link LogShipper#close()} keeps shipping what is queued. Default 5 s. */
        public Builder flushTimeout(Duration timeout) {
            this.flushTimeout = Checks.positive("logShipping.flushTimeout", timeout);
            return this;
        }

        /** A header sent with every batch (an API key, for example). */
        public Builder header(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            headers.put(name, value);
            return this;
        }

        /** Where the shipping counters go (Micrometer must be on the class path). Default: none. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** Starts the shipper's thread. */
        public LogShipper build() {
            return new LogShipper(this);
        }


    }
}
