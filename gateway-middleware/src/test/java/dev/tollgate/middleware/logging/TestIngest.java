package dev.tollgate.middleware.logging;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * A log ingest endpoint for tests (the JDK's HTTP server on an ephemeral port) that records every
 * batch it is sent and can be told to answer slowly, with 500 or with 400. Every answer closes its
 * connection, so "down" is simulated by a {@code FaultProxy} in REFUSE mode in front of it.
 */
final class TestIngest implements AutoCloseable {

    enum Mode { OK, FAIL_500, REJECT_400 }

    /** One POST as received. */
    record Batch(String id, String contentType, String contentEncoding, List<String> lines, int status) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-ingest");
        t.setDaemon(true);
        return t;
    });
    private final List<Batch> batches = new ArrayList<>();
    private volatile Mode mode = Mode.OK;
    private volatile Duration delay = Duration.ZERO;
    private final AtomicInteger failNext = new AtomicInteger();

    TestIngest() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        server.createContext("/ingest", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port() + "/ingest");
    }

    TestIngest mode(Mode mode) {
        this.mode = mode;
        return this;
    }

    TestIngest delay(Duration delay) {
        this.delay = delay;
        return this;
    }

    /** The next {@code n} requests fail with 500, then the mode applies again. */
    TestIngest failNext(int n) {
        failNext.set(n);
        return this;
    }

    List<Batch> batches() {
        synchronized (batches) {
            return new ArrayList<>(batches);
        }
    }

    /** The lines of every batch answered 2xx, in arrival order. */
    List<String> acceptedLines() {
        return batches().stream().filter(b -> b.status() / 100 == 2).flatMap(b -> b.lines().stream()).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
            if ("gzip".equals(encoding)) {
                try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(body))) {
                    body = gz.readAllBytes();
                }
            }
            String text = new String(body, StandardCharsets.UTF_8);
            // NDJSON: every line ends with a line break
            String[] parts = text.split("\n", -1);
            List<String> lines = Arrays.asList(parts).subList(0, parts.length - 1);
            Duration d = delay;
            if (!d.isZero()) {
                try {
                    Thread.sleep(d.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int status = failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : switch (mode) {
                case OK -> 200;
                case FAIL_500 -> 500;
                case REJECT_400 -> 400;
            };
            synchronized (batches) {
                batches.add(new Batch(ex.getRequestHeaders().getFirst("Idempotency-Key"),
                        ex.getRequestHeaders().getFirst("Content-Type"), encoding, List.copyOf(lines), status));
            }
            ex.getResponseHeaders().add("Connection", "close");
            ex.sendResponseHeaders(status, -1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
