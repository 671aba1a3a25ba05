package dev.tollgate.internal;

import dev.tollgate.Limits;
import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import io.undertow.server.HttpHandler;
import org.xnio.XnioIoThread;
import java.util.concurrent.ConcurrentHashMap;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Protocols;

import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.StreamSourceConduit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Locale;

/**
 * Rejects requests whose framing is malformed or ambiguous before anything is proxied: the shapes
 * request smuggling is made of. Undertow's parser already refuses many; this closes the rest, and
 * the limits the gateway promises (431, 413). A rejected request's connection is closed, since the
 * position of the next request on it cannot be trusted. Runs on the IO thread.
 */
public final class RequestGuard implements HttpHandler {

    private final HttpHandler next;
    private final Limits limits;
    // one list per IO thread: a body whose client goes quiet for the idle timeout is cut off
    private final ConcurrentHashMap<XnioIoThread, Deadlines> bodyIdle = new ConcurrentHashMap<>();

    public RequestGuard(HttpHandler next, Limits limits) {
        this.next = next;
        this.limits = limits;
    }

    private Deadlines bodyIdle(XnioIoThread thread) {
        Deadlines d = bodyIdle.get(thread);
        return d != null ? d : bodyIdle.computeIfAbsent(thread, t -> new Deadlines(t, limits.idleTimeout().toNanos()));
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        Problem problem = check(exchange, limits);
        if (problem != null) {
            exchange.setPersistent(false);
            ProblemResponder.send(exchange, problem);
            return;
        }
        if (limits.maxRequestBodyBytes() > 0) {
            // for a handler mounted in a host's server; the gateway's own listener also sets
            // MAX_ENTITY_SIZE, which Undertow's chunked decoder needs (it reads its limit at parse time)
            exchange.setMaxEntitySize(limits.maxRequestBodyBytes());
        }
        if (!exchange.isRequestComplete()) {
            exchange.addRequestWrapper((factory, ex) -> new StrictBodyConduit(factory.create(), ex, bodyIdle(ex.getIoThread())));
        }
        next.handleRequest(exchange);
    }

    /** The problem with the request's framing, or null when it may proceed. */
    static Problem check(HttpServerExchange exchange, Limits limits) {
        HeaderMap headers = exchange.getRequestHeaders();
        int count = 0;
        long bytes = 0;
        for (HeaderValues values : headers) {
            int nameLength = values.getHeaderName().length();
            for (String v : values) {
                count++;
                // CR, LF and NUL in values never get here: Undertow's parser refuses them (and
                // unfolds obsolete line folding into a space)
                bytes += nameLength + v.length() + 4;
            }
        }
        if (count > limits.maxHeaderCount()) {
            return Problem.HEADERS_TOO_LARGE.withDetail("the request has " + count + " header fields (limit " + limits.maxHeaderCount() + ")");
        }
        if (bytes > limits.maxHeaderBytes()) {
            return Problem.HEADERS_TOO_LARGE.withDetail("the request headers have " + bytes + " bytes (limit " + limits.maxHeaderBytes() + ")");
        }

        boolean http11 = exchange.getProtocol().equals(Protocols.HTTP_1_1);
        HeaderValues host = headers.get(Headers.HOST);
        if (host != null && host.size() > 1) {
            return Problem.BAD_REQUEST.withDetail("the request has more than one Host header");
        }
        if (http11 && (host == null || host.getFirst().isBlank()) && !exchange.isHostIncludedInRequestURI()) {
            return Problem.BAD_REQUEST.withDetail("an HTTP/1.1 request needs a Host header");
        }
        // the characters of Host are checked before this runs, by Undertow's own Host validation

        HeaderValues te = headers.get(Headers.TRANSFER_ENCODING);
        HeaderValues cl = headers.get(Headers.CONTENT_LENGTH);
        if (te != null && cl != null) {
            return Problem.BAD_REQUEST.withDetail("the request has both Content-Length and Transfer-Encoding");
        }
        if (cl != null) {
            if (cl.size() > 1) {
                return Problem.BAD_REQUEST.withDetail("the request has more than one Content-Length");
            }
            String v = cl.getFirst().trim();
            if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Problem.BAD_REQUEST.withDetail("Content-Length is not a non-negative integer");
            }
            long length = Long.parseLong(v);
            if (limits.maxRequestBodyBytes() > 0 && length > limits.maxRequestBodyBytes()) {
                return Problem.BODY_TOO_LARGE.withDetail("the request body has " + length + " bytes (limit "
                        + limits.maxRequestBodyBytes() + ")");
            }
        }
        if (te != null) {
            if (!http11) {
                return Problem.BAD_REQUEST.withDetail("Transfer-Encoding is only allowed in HTTP/1.1 requests");
            }
            String[] codings = String.join(",", te).split(",");
            String last = codings[codings.length - 1].trim().toLowerCase(Locale.ROOT);
            if (!last.equals("chunked")) {
                return Problem.BAD_REQUEST.withDetail("Transfer-Encoding must end with chunked");
            }
            if (codings.length > 1) {
                for (int i = 0; i < codings.length - 1; i++) {
                    if (codings[i].trim().equalsIgnoreCase("chunked")) {
                        return Problem.BAD_REQUEST.withDetail("Transfer-Encoding applies chunked more than once");
                    }
                }
                return Problem.NOT_IMPLEMENTED.withDetail("transfer codings other than chunked are not supported");
            }
        }
        return null;
    }

    /**
     * Makes a broken request body stay broken. Undertow's decoders report a malformed chunk or an
     * oversized body once, then answer later reads with end-of-stream; a reader that reads again
     * (or the proxy's transfer loop) would take that for a complete body and finish the upstream
     * request cleanly, handing the backend a truncated body as if it were whole. Here the first
     * failure is repeated on every later read, and an end-of-stream before the framing completed
     * is a failure too.
     *
     * <p>It also bounds a stalled body: a client that sends nothing for the idle timeout mid-body (a
     * chunk that never ends, a slow drip that stops) gets its connection closed, between one and two
     * idle timeouts after its last byte. Only requests with a body pay for this. Reads run on the IO
     * thread, or on a worker for a blocking reader; the idle check always runs on the IO thread.
     */
    static final class StrictBodyConduit extends AbstractStreamSourceConduit<StreamSourceConduit> {
        private final HttpServerExchange exchange;
        private final Deadlines idle;
        private IOException failure;
        private volatile long lastRead = System.nanoTime();
        private volatile boolean finished;
        private Deadlines.Entry pending; // touched on the IO thread only

        StrictBodyConduit(StreamSourceConduit next, HttpServerExchange exchange, Deadlines idle) {
            super(next);
            this.exchange = exchange;
            this.idle = idle;
            onIoThread(() -> pending = idle.add(this::checkIdle));
            exchange.addExchangeCompleteListener((ex, nextListener) -> {
                finish();
                nextListener.proceed();
            });
        }

        private void onIoThread(Runnable task) {
            if (exchange.isInIoThread()) {
                task.run();
            } else {
                exchange.getIoThread().execute(task);
            }
        }

        /** The body is over (read to its end, failed, or the exchange ended): no more idle checks. */
        private void finish() {
            if (!finished) {
                finished = true;
                onIoThread(() -> {
                    if (pending != null) {
                        pending.cancel();
                        pending = null;
                    }
                });
            }
        }

        private void checkIdle() {
            pending = null;
            if (finished || !exchange.getConnection().isOpen()) {
                return;
            }
            long quiet = System.nanoTime() - lastRead;
            if (quiet >= idle.timeoutNanos()) {
                failed(new IOException("the request body stalled: nothing arrived for " + quiet / 1_000_000 + " ms"));
                IoUtils.safeClose(exchange.getConnection());
            } else {
                pending = idle.add(this::checkIdle);
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            checkFailed();
            try {
                int n = next.read(dst);
                return n < 0 ? (int) atEnd() : read(n);
            } catch (IOException e) {
                throw failed(e);
            }
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            checkFailed();
            try {
                long n = next.read(dsts, offset, length);
                return n < 0 ? atEnd() : read(n);
            } catch (IOException e) {
                throw failed(e);
            }
        }

        private int read(long n) {
            if (n > 0) {
                lastRead = System.nanoTime();
            }
            return (int) n;
        }

        @Override
        public long transferTo(long position, long count, FileChannel target) throws IOException {
            return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
        }

        @Override
        public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
            return IoUtils.transfer(new ConduitReadableByteChannel(this), count, throughBuffer, target);
        }

        private long atEnd() throws IOException {
            finish();
            if (!exchange.isRequestComplete()) {
                throw failed(new IOException("the request body ended before its framing was complete"));
            }
            return -1;
        }

        private void checkFailed() throws IOException {
            if (failure != null) {
                // a fresh exception each time, so the first one's stack is not rethrown from here
                throw failure instanceof RequestTooBigException
                        ? new RequestTooBigException(failure.getMessage(), failure)
                        : new IOException(failure.getMessage(), failure);
            }
        }

        private IOException failed(IOException e) {
            finish();
            if (failure == null) {
                failure = e;
            }
            return e;
        }
    }

}
