package dev.tollgate.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import org.xnio.IoUtils;
import org.xnio.Option;

/**
 * A real Undertow server on {@code 127.0.0.1} and an ephemeral port that plays the upstream in tests.
 *
 * <p>One backend serves many tests because its behaviour is chosen by the request path:
 * <ul>
 *   <li>{@code /status/{code}}: answers that status with a short text body;
 *   <li>{@code /delay/{millis}}: answers 200 after that delay, without holding an IO thread;
 *   <li>{@code /bytes/{n}}: streams {@code n} bytes of {@link #patternByte(long)} with a Content-Length
 *       ({@code n} may exceed 2 GiB; nothing of size {@code n} is allocated);
 *   <li>{@code /chunked/{n}}: the same bytes, chunked, without a Content-Length;
 *   <li>{@code /trailers}: a chunked JSON body {@code {"bodyBytes":N,"trailers":{..}}} (the request
 *       trailers it received) followed by the trailer {@code X-Checksum: crc32=<hex of the body>};
 *   <li>{@code /sink}: discards the request body and answers {@code {"bodyBytes":N}};
 *   <li>anything else: echo, 200 {@code application/json}
 *       {@code {"method","path","query","headers":{name:[values]},"bodyBytes","backend"}}.
 * </ul>
 * Every built-in behaviour first reads the whole request body (counting it, never buffering it) and
 * records the request, so {@link #lastRequest()} is up to date before the response leaves. Every
 * response carries {@code X-Backend: <name>}.
 *
 * <p>Custom handlers ({@link #start(String, HttpHandler)}, {@link Builder#route(String, HttpHandler)})
 * own the request body; their requests are recorded on arrival with {@code bodyBytes == -1}.
 *
 * <p>Thread-safe. Built-in handlers run on the backend's IO thread.
 */
public final class TestBackend implements AutoCloseable {

    /** The header every response carries, naming the backend that produced it. */
    public static final String BACKEND_HEADER = "X-Backend";

    private static final HttpString X_BACKEND = HttpString.tryFromString(BACKEND_HEADER);
    private static final HttpString X_CHECKSUM = HttpString.tryFromString("X-Checksum");
    private static final byte[] PATTERN =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_".getBytes(US_ASCII);
    private static final int CHUNK_BYTES = 64 * 1024;
    // one shared read-only source for every streamed body; each write uses its own duplicate
    private static final ByteBuffer CHUNK = patternChunk();

    private final String name;
    private final Undertow undertow;
    private final int port;
    private final int recordLimit;
    private final AtomicLong requestCount = new AtomicLong();
    private final ArrayDeque<RecordedRequest> records = new ArrayDeque<>();

    private TestBackend(Builder b) {
        this.name = b.name;
        this.recordLimit = b.recordLimit;
        Undertow.Builder ub = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setIoThreads(b.ioThreads)
                .setWorkerThreads(b.workerThreads)
                .setHandler(rootHandler(b));
        b.serverOptions.forEach((option, value) -> setServerOption(ub, option, value));
        this.undertow = ub.build();
        undertow.start();
        this.port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    }

    @SuppressWarnings("unchecked")
    private static <T> void setServerOption(Undertow.Builder ub, Option<T> option, Object value) {
        ub.setServerOption(option, (T) value);
    }

    /** Starts a backend named {@code backend} with the built-in behaviours. */
    public static TestBackend start() {
        return builder().start();
    }

    /** Starts a backend with the built-in behaviours; {@code name} goes into {@code X-Backend}. */
    public static TestBackend start(String name) {
        return builder().name(name).start();
    }

    /** Starts a backend whose every request goes to {@code handler} (no built-in behaviours). */
    public static TestBackend start(String name, HttpHandler handler) {
        return builder().name(name).handler(handler).start();
    }

    /** A builder; defaults: name {@code backend}, 1 IO thread, 2 worker threads, 100 recorded requests. */
    public static Builder builder() {
        return new Builder();
    }

    /** The bound port. */
    public int port() {
        return port;
    }

    /** The backend's name, sent as {@code X-Backend}. */
    public String name() {
        return name;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** {@code http://127.0.0.1:<port>} followed by {@code pathAndQuery}, which must start with {@code /}. */
    public URI uri(String pathAndQuery) {
        if (!pathAndQuery.startsWith("/")) {
            throw new IllegalArgumentException("pathAndQuery: '" + pathAndQuery + "' (expected: starts with /)");
        }
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    /** Requests that reached the backend since it started (counted on arrival, before the body is read). */
    public long requestCount() {
        return requestCount.get();
    }

    /** The most recently recorded request. @throws AssertionError when none was recorded */
    public RecordedRequest lastRequest() {
        synchronized (records) {
            RecordedRequest last = records.peekLast();
            if (last == null) {
                throw new AssertionError("backend '" + name + "' has recorded no request");
            }
            return last;
        }
    }

    /** The last recorded requests (up to the record limit), oldest first. */
    public List<RecordedRequest> requests() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /** Forgets recorded requests; {@link #requestCount()} keeps counting. */
    public void clearRequests() {
        synchronized (records) {
            records.clear();
        }
    }

    /** Waits until {@link #requestCount()} reaches {@code count}. @throws AssertionError on timeout */
    public void awaitRequestCount(long count, Duration timeout) {
        Await.until(() -> requestCount.get() >= count, timeout,
                "backend '" + name + "' to receive " + count + " requests (got " + requestCount.get() + ")");
    }

    /** The byte at {@code index} of every {@code /bytes/} and {@code /chunked/} body. */
    public static byte patternByte(long index) {
        return PATTERN[(int) (index & (PATTERN.length - 1))];
    }

    /** Stops the server and its threads, closing open connections. */
    @Override
    public void close() {
        undertow.stop();
    }

    @Override
    public String toString() {
        return "TestBackend[" + name + " " + uri() + "]";
    }

    private HttpHandler rootHandler(Builder b) {
        HttpHandler custom = b.handler;
        Map<String, HttpHandler> routes = new LinkedHashMap<>(b.routes);
        return exchange -> {
            requestCount.incrementAndGet();
            exchange.getResponseHeaders().put(X_BACKEND, name);
            if (custom != null) {
                record(exchange, -1);
                custom.handleRequest(exchange);
                return;
            }
            String path = exchange.getRequestPath();
            for (Map.Entry<String, HttpHandler> route : routes.entrySet()) {
                if (path.startsWith(route.getKey())) {
                    record(exchange, -1);
                    route.getValue().handleRequest(exchange);
                    return;
                }
            }
            long[] bodyBytes = {0};
            exchange.getRequestReceiver().receivePartialBytes(
                    (ex, data, last) -> {
                        bodyBytes[0] += data.length;
                        if (last) {
                            builtIn(ex, record(ex, bodyBytes[0]));
                        }
                    },
                    (ex, error) -> {
                        // the client went away mid-body: keep what arrived so tests can see the partial upload
                        record(ex, bodyBytes[0]);
                        IoUtils.safeClose(ex.getConnection());
                    });
        };
    }

    private RecordedRequest record(HttpServerExchange exchange, long bodyBytes) {
        String uri = exchange.getRequestURI();
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd > 0) { // absolute-form request target: keep only the path
            int slash = uri.indexOf('/', schemeEnd + 3);
            uri = slash < 0 ? "/" : uri.substring(slash);
        }
        RecordedRequest request = new RecordedRequest(
                exchange.getRequestMethod().toString(),
                uri,
                exchange.getQueryString(),
                HeaderMultimap.of(exchange.getRequestHeaders()),
                bodyBytes,
                HeaderMultimap.of(exchange.getAttachment(HttpAttachments.REQUEST_TRAILERS)));
        synchronized (records) {
            if (records.size() == recordLimit) {
                records.removeFirst();
            }
            records.addLast(request);
        }
        return request;
    }

    private void builtIn(HttpServerExchange exchange, RecordedRequest request) {
        String path = exchange.getRequestPath();
        try {
            if (path.startsWith("/status/")) {
                int code = Integer.parseInt(path.substring("/status/".length()));
                if (code < 100 || code > 999) {
                    throw new NumberFormatException("status out of range");
                }
                exchange.setStatusCode(code);
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                exchange.getResponseSender().send(code == 204 || code == 304 ? "" : "status " + code + "\n");
            } else if (path.startsWith("/delay/")) {
                long millis = Long.parseLong(path.substring("/delay/".length()));
                // the dispatch keeps the exchange open after the handler returns; the timer fires on the IO thread
                exchange.dispatch(SameThreadExecutor.INSTANCE, () -> exchange.getIoThread().executeAfter(
                        () -> sendJson(exchange, 200, "{\"delayedMillis\":" + millis + "}"),
                        millis, TimeUnit.MILLISECONDS));
            } else if (path.startsWith("/bytes/")) {
                stream(exchange, Long.parseLong(path.substring("/bytes/".length())), false);
            } else if (path.startsWith("/chunked/")) {
                stream(exchange, Long.parseLong(path.substring("/chunked/".length())), true);
            } else if (path.equals("/trailers")) {
                trailers(exchange, request);
            } else if (path.equals("/sink")) {
                sendJson(exchange, 200, "{\"bodyBytes\":" + request.bodyBytes() + "}");
            } else {
                sendJson(exchange, 200, echoJson(request));
            }
        } catch (NumberFormatException e) {
            exchange.setStatusCode(400);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            exchange.getResponseSender().send("bad number in path " + path + "\n");
        }
    }

    private static void sendJson(HttpServerExchange exchange, int status, String json) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(json, UTF_8);
    }

    private String echoJson(RecordedRequest r) {
        StringBuilder json = new StringBuilder(256);
        json.append("{\"method\":").append(Json.quote(r.method()))
                .append(",\"path\":").append(Json.quote(r.path()))
                .append(",\"query\":").append(Json.quote(r.query()))
                .append(",\"headers\":");
        Json.appendMultimap(json, r.headers());
        json.append(",\"bodyBytes\":").append(r.bodyBytes())
                .append(",\"backend\":").append(Json.quote(name))
                .append('}');
        return json.toString();
    }

    private static void stream(HttpServerExchange exchange, long length, boolean chunked) {
        if (length < 0) {
            throw new NumberFormatException("negative length");
        }
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        if (chunked) {
            exchange.getResponseHeaders().put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
        } else {
            exchange.setResponseContentLength(length);
        }
        new Streamer(length).onComplete(exchange, exchange.getResponseSender());
    }

    /**
     * Writes the pattern one chunk per sender callback. The async sender runs a callback that sends
     * again in a loop rather than recursively, so even 2^31 bytes keep the stack flat.
     */
    private static final class Streamer implements IoCallback {
        private long remaining;

        Streamer(long length) {
            this.remaining = length;
        }

        @Override
        public void onComplete(HttpServerExchange exchange, Sender sender) {
            if (remaining == 0) {
                IoCallback.END_EXCHANGE.onComplete(exchange, sender);
                return;
            }
            int length = (int) Math.min(remaining, CHUNK_BYTES);
            remaining -= length;
            ByteBuffer chunk = CHUNK.duplicate();
            chunk.limit(length);
            sender.send(chunk, this);
        }

        @Override
        public void onException(HttpServerExchange exchange, Sender sender, IOException exception) {
            IoUtils.safeClose(exchange.getConnection());
        }
    }

    private static void trailers(HttpServerExchange exchange, RecordedRequest request) {
        StringBuilder json = new StringBuilder("{\"bodyBytes\":").append(request.bodyBytes()).append(",\"trailers\":");
        Json.appendMultimap(json, request.trailers());
        byte[] body = json.append('}').toString().getBytes(UTF_8);
        HeaderMap trailers = new HeaderMap();
        trailers.put(X_CHECKSUM, checksum(body));
        exchange.putAttachment(HttpAttachments.RESPONSE_TRAILERS, trailers);
        exchange.setStatusCode(200);
        exchange.getResponseHeaders()
                .put(Headers.CONTENT_TYPE, "application/json")
                .put(Headers.TRAILER, X_CHECKSUM.toString())
                .put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
        // not END_EXCHANGE: that callback would add a Content-Length to an uncommitted response
        exchange.getResponseSender().send(ByteBuffer.wrap(body), new IoCallback() {
            @Override
            public void onComplete(HttpServerExchange ex, Sender sender) {
                IoCallback.END_EXCHANGE.onComplete(ex, sender);
            }

            @Override
            public void onException(HttpServerExchange ex, Sender sender, IOException exception) {
                IoUtils.safeClose(ex.getConnection());
            }
        });
    }

    /** The {@code X-Checksum} trailer value {@code /trailers} sends for a body: {@code crc32=<8 hex digits>}. */
    public static String checksum(byte[] body) {
        CRC32 crc = new CRC32();
        crc.update(body);
        return String.format("crc32=%08x", crc.getValue());
    }

    private static ByteBuffer patternChunk() {
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES);
        for (int i = 0; i < CHUNK_BYTES; i++) {
            chunk.put(patternByte(i)); // CHUNK_BYTES is a multiple of the pattern length
        }
        chunk.flip();
        return chunk;
    }

    /** Configures a {@link TestBackend}; not thread-safe. */
    public static final class Builder {
        private String name = "backend";
        private int ioThreads = 1;
        private int workerThreads = 2;
        private int recordLimit = 100;
        private HttpHandler handler;
        private final Map<String, HttpHandler> routes = new LinkedHashMap<>();
        private final Map<Option<?>, Object> serverOptions = new LinkedHashMap<>();

        private Builder() {
            // Undertow caps request bodies at 2 MiB by default; a backend must accept any upload size
            serverOptions.put(UndertowOptions.MAX_ENTITY_SIZE, Long.MAX_VALUE);
        }

        /** The name sent as {@code X-Backend} and in echo bodies; default {@code backend}. */
        public Builder name(String name) {
            this.name = requireNonNull(name, "name");
            return this;
        }

        /** XNIO IO threads; default 1 so that many backends in one suite stay light. */
        public Builder ioThreads(int ioThreads) {
            if (ioThreads < 1) {
                throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
            }
            this.ioThreads = ioThreads;
            return this;
        }

        /** Worker threads for handlers that dispatch blocking work; default 2. */
        public Builder workerThreads(int workerThreads) {
            if (workerThreads < 1) {
                throw new IllegalArgumentException("workerThreads: " + workerThreads + " (expected: >= 1)");
            }
            this.workerThreads = workerThreads;
            return this;
        }

        /** How many of the latest requests {@link #requests()} keeps; default 100. */
        public Builder recordLimit(int recordLimit) {
            if (recordLimit < 1) {
                throw new IllegalArgumentException("recordLimit: " + recordLimit + " (expected: >= 1)");
            }
            this.recordLimit = recordLimit;
            return this;
        }

        /** Sends every request to {@code handler} instead of the built-in behaviours. */
        public Builder handler(HttpHandler handler) {
            this.handler = requireNonNull(handler, "handler");
            return this;
        }

        /** Sends requests whose path starts with {@code pathPrefix} to {@code handler}; first match wins. */
        public Builder route(String pathPrefix, HttpHandler handler) {
            routes.put(requireNonNull(pathPrefix, "pathPrefix"), requireNonNull(handler, "handler"));
            return this;
        }

        /**
         * Sets an Undertow server option, e.g. {@code UndertowOptions.NO_REQUEST_TIMEOUT}. The backend
         * sets {@code MAX_ENTITY_SIZE} to unlimited unless told otherwise here.
         */
        public <T> Builder serverOption(Option<T> option, T value) {
            serverOptions.put(requireNonNull(option, "option"), requireNonNull(value, "value"));
            return this;
        }

        /** Builds and starts the backend. */
        public TestBackend start() {
            return new TestBackend(this);
        }
    }

    /** Just enough JSON writing for the echo bodies. */
    static final class Json {
        private Json() {
        }

        static String quote(String s) {
            return dev.tollgate.error.Json.quote(new StringBuilder(s.length() + 2), s).toString();
        }

        static void appendMultimap(StringBuilder json, Map<String, List<String>> map) {
            json.append('{');
            boolean first = true;
            for (Map.Entry<String, List<String>> e : map.entrySet()) {
                if (!first) {
                    json.append(',');
                }
                first = false;
                json.append(quote(e.getKey())).append(":[");
                List<String> values = new ArrayList<>(e.getValue());
                for (int i = 0; i < values.size(); i++) {
                    if (i > 0) {
                        json.append(',');
                    }
                    json.append(quote(values.get(i)));
                }
                json.append(']');
            }
            json.append('}');
        }
    }
}
