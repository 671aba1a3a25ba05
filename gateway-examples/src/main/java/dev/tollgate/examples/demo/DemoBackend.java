package dev.tollgate.examples.demo;

import static java.util.Objects.requireNonNull;

import dev.tollgate.error.Json;
import io.undertow.Undertow;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.handlers.HttpContinueReadHandler;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.Options;
import org.xnio.channels.StreamSourceChannel;

/**
 * An Undertow echo server: every request gets {@code 200 application/json} describing it.
 *
 * <pre>{"method":"GET","path":"/a","query":"x=1","headers":{"Host":["..."]},"bodyBytes":0,"backend":"demo"}</pre>
 *
 * <p>{@code /health} answers {@code {"status":"UP"}}. {@code path} is the request target as sent
 * (not percent-decoded) and {@code query} the raw query string without {@code ?} ({@code ""} when
 * absent), so a gateway's rewriting can be checked byte for byte. {@code Expect: 100-continue} is
 * honoured.
 *
 * <p>It is the "direct" baseline of the load driver, so it does all of its work on the XNIO IO
 * thread: a request without a body is answered at once; a request body is read with non-blocking
 * reads into one pooled buffer and only counted, never kept.
 *
 * <p>Thread-safe. {@link #close()} stops the server and is idempotent.
 */
public final class DemoBackend implements AutoCloseable {

    /** IO threads used by {@link #start(String, int)}. */
    public static final int DEFAULT_IO_THREADS = 2;

    /**
     * Name of the backend's XNIO worker, so the prefix of all its threads ({@code "demo-backend
     * I/O-1"}, ...); lets a load driver tell its CPU time from that of a proxy in the same JVM.
     */
    public static final String WORKER_NAME = "demo-backend";

    private static final byte[] HEALTH_BODY = "{\"status\":\"UP\"}".getBytes(StandardCharsets.US_ASCII);
    private static final String JSON = "application/json";

    private final Undertow server;
    private final int port;

    private DemoBackend(Undertow server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * Starts a backend with {@value #DEFAULT_IO_THREADS} IO threads.
     *
     * @param host address to bind, e.g. {@code "127.0.0.1"}
     * @param port port to bind; {@code 0} picks a free one (see {@link #port()})
     * @throws IllegalArgumentException if {@code port} is outside 0..65535
     */
    public static DemoBackend start(String host, int port) {
        return start(host, port, DEFAULT_IO_THREADS);
    }

    /**
     * Starts a backend.
     *
     * @param host address to bind, e.g. {@code "127.0.0.1"}
     * @param port port to bind; {@code 0} picks a free one (see {@link #port()})
     * @param ioThreads XNIO IO threads; all requests are served on them
     * @throws IllegalArgumentException if {@code port} is outside 0..65535 or {@code ioThreads < 1}
     */
    public static DemoBackend start(String host, int port, int ioThreads) {
        requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
        }
        Undertow server = Undertow.builder()
                .addHttpListener(port, host)
                .setIoThreads(ioThreads)
                // nothing is dispatched; Undertow still wants a worker pool, keep it small
                .setWorkerThreads(Math.max(2, ioThreads))
                .setSocketOption(Options.TCP_NODELAY, true)
                .setWorkerOption(Options.WORKER_NAME, WORKER_NAME)
                // answers Expect: 100-continue when the body is first read, so clients do not stall
                .setHandler(new HttpContinueReadHandler(new EchoHandler()))
                .build();
        server.start();
        int bound = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        return new DemoBackend(server, bound);
    }

    /** The bound port (the real one when started with port 0). */
    public int port() {
        return port;
    }

    /** Stops accepting and closes all connections. Idempotent. */
    @Override
    public void close() {
        server.stop();
    }

    /**
     * Starts a backend on {@code 127.0.0.1:8048}, or on the port in {@code DEMO_PORT}, and the
     * host in {@code DEMO_HOST}; {@code DEMO_IO_THREADS} sets the IO threads.
     */
    public static void main(String[] args) {
        String host = envOr("DEMO_HOST", "127.0.0.1");
        int port = Integer.parseInt(envOr("DEMO_PORT", "8048"));
        int ioThreads = Integer.parseInt(envOr("DEMO_IO_THREADS", String.valueOf(DEFAULT_IO_THREADS)));
        DemoBackend backend = start(host, port, ioThreads);
        Runtime.getRuntime().addShutdownHook(new Thread(backend::close, "demo-backend-shutdown"));
        System.out.println("demo backend listening on http://" + host + ":" + backend.port());
    }

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    /** Runs on the IO thread. */
    private static final class EchoHandler implements HttpHandler {
        @Override
        public void handleRequest(HttpServerExchange exchange) {
            if ("/health".equals(exchange.getRequestPath())) {
                send(exchange, ByteBuffer.wrap(HEALTH_BODY));
                return;
            }
            if (exchange.isRequestComplete()) {
                // no body (GET without Content-Length/Transfer-Encoding): answer right here
                sendEcho(exchange, 0);
                return;
            }
            new BodyCounter(exchange).drain();
        }
    }

    /**
     * Reads and discards the request body on the IO thread, then answers. Registered as the
     * channel's read listener while the body has not all arrived.
     */
    private static final class BodyCounter implements ChannelListener<StreamSourceChannel> {
        private final HttpServerExchange exchange;
        private final StreamSourceChannel channel;
        private final PooledByteBuffer pooled;
        private long count;
        private boolean listening;

        BodyCounter(HttpServerExchange exchange) {
            this.exchange = exchange;
            this.channel = exchange.getRequestChannel();
            this.pooled = exchange.getConnection().getByteBufferPool().allocate();
        }

        @Override
        public void handleEvent(StreamSourceChannel ignored) {
            drain();
        }

        void drain() {
            ByteBuffer buffer = pooled.getBuffer();
            try {
                while (true) {
                    buffer.clear();
                    int read = channel.read(buffer);
                    if (read > 0) {
                        count += read;
                    } else if (read == 0) {
                        if (!listening) {
                            listening = true;
                            channel.getReadSetter().set(this);
                        }
                        // while still inside handleRequest this only marks the exchange as resumed
                        channel.resumeReads();
                        return;
                    } else {
                        finish();
                        sendEcho(exchange, count);
                        return;
                    }
                }
            } catch (IOException e) {
                finish();
                if (exchange.isResponseStarted()) {
                    IoUtils.safeClose(exchange.getConnection());
                } else {
                    exchange.setStatusCode(e instanceof RequestTooBigException
                            ? StatusCodes.REQUEST_ENTITY_TOO_LARGE : StatusCodes.BAD_REQUEST);
                    exchange.setPersistent(false);
                    exchange.endExchange();
                }
            }
        }

        private void finish() {
            if (listening) {
                channel.getReadSetter().set(null);
                channel.suspendReads();
            }
            pooled.close();
        }
    }

    private static void sendEcho(HttpServerExchange exchange, long bodyBytes) {
        StringBuilder json = new StringBuilder(512);
        json.append("{\"method\":");
        appendString(json, exchange.getRequestMethod().toString());
        json.append(",\"path\":");
        String uri = exchange.getRequestURI();
        appendString(json, uri.startsWith("/") ? uri : exchange.getRequestPath());
        json.append(",\"query\":");
        appendString(json, exchange.getQueryString());
        json.append(",\"headers\":{");
        boolean firstHeader = true;
        for (HeaderValues header : exchange.getRequestHeaders()) {
            if (!firstHeader) {
                json.append(',');
            }
            firstHeader = false;
            appendString(json, header.getHeaderName().toString());
            json.append(":[");
            for (int i = 0; i < header.size(); i++) {
                if (i > 0) {
                    json.append(',');
                }
                appendString(json, header.get(i));
            }
            json.append(']');
        }
        json.append("},\"bodyBytes\":").append(bodyBytes).append(",\"backend\":\"demo\"}");
        send(exchange, ByteBuffer.wrap(json.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void send(HttpServerExchange exchange, ByteBuffer body) {
        exchange.setStatusCode(StatusCodes.OK);
        exchange.getResponseHeaders()
                .put(Headers.CONTENT_TYPE, JSON)
                .put(Headers.CONTENT_LENGTH, body.remaining());
        exchange.getResponseSender().send(body);
    }

    private static void appendString(StringBuilder out, String value) {
        Json.quote(out, value);
    }
}
