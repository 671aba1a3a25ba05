package dev.tollgate.proxy.internal;

import dev.tollgate.error.Problem;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A request body kept for replay: read once from the client, up to a limit, and sent again by retries,
 * a fallback upstream or a mirrored copy. A body that turns out larger than the limit keeps the prefix
 * read so far and the rest of the client's channel, so it is still sent in full once, streaming. Lives
 * on the exchange as an attachment; every method runs on the exchange's IO thread.
 */
final class RequestBody {

    static final AttachmentKey<RequestBody> KEY = AttachmentKey.create(RequestBody.class);

    /** Told when reading ended; on the IO thread, possibly before {@link #read} returns. */
    interface Callback {
        void done(RequestBody body);

        void failed(IOException e);
    }

    private byte[] data;
    private int length;
    private boolean complete;
    private StreamSourceChannel rest;

    private RequestBody(int capacity) {
        this.data = new byte[capacity];
    }

    /** Whether the whole body is kept (it may be sent again); else only a prefix and {@link #rest()}. */
    boolean complete() {
        return complete;
    }

    int length() {
        return length;
    }

    /** The kept bytes (the whole body when complete), as a fresh buffer. */
    ByteBuffer bytes() {
        return ByteBuffer.wrap(data, 0, length);
    }

    /** The client's channel with the rest of a body larger than the limit, or null. Usable once. */
    StreamSourceChannel takeRest() {
        StreamSourceChannel r = rest;
        rest = null;
        return r;
    }

    /** The declared length, -1 when none (chunked), 0 for no body. */
    static long declaredLength(HttpServerExchange exchange) {
        String cl = exchange.getRequestHeaders().getFirst(Headers.CONTENT_LENGTH);
        if (cl == null) {
            return exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING) ? -1 : 0;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether a body of this declared length may be kept under {@code limit} (unknown lengths are tried). */
    static boolean fits(HttpServerExchange exchange, long limit) {
        long declared = declaredLength(exchange);
        return declared <= limit;
    }

    /**
     * Reads the exchange's body into a buffer of at most about {@code limit} bytes and attaches it to the
     * exchange. The exchange must still have its request channel and a body to come.
     */
    static void read(HttpServerExchange exchange, long limit, Callback callback) {
        StreamSourceChannel channel = exchange.getRequestChannel();
        long declared = declaredLength(exchange);
        RequestBody body = new RequestBody((int) Math.max(256, Math.min(limit, declared < 0 ? 8192 : declared)));
        exchange.putAttachment(KEY, body);
        if (channel == null) {
            // someone before us consumed the body: nothing is left to keep
            body.complete = true;
            callback.done(body);
            return;
        }
        PooledByteBuffer pooled = exchange.getConnection().getByteBufferPool().allocate();
        ChannelListener<StreamSourceChannel> reader = new ChannelListener<>() {
            @Override
            public void handleEvent(StreamSourceChannel ch) {
                ByteBuffer buf = pooled.getBuffer();
                try {
                    while (true) {
                        buf.clear();
                        int n = ch.read(buf);
                        if (n == 0) {
                            ch.getReadSetter().set(this);
                            ch.resumeReads();
                            return;
                        }
                        if (n < 0) {
                            body.complete = true;
                            end(ch);
                            callback.done(body);
                            return;
                        }
                        buf.flip();
                        body.append(buf);
                        if (body.length > limit) {
                            body.rest = ch;
                            end(ch);
                            callback.done(body);
                            return;
                        }
                    }
                } catch (IOException e) {
                    end(ch);
                    callback.failed(e);
                }
            }

            private void end(StreamSourceChannel ch) {
                ch.suspendReads();
                ch.getReadSetter().set(null);
                pooled.close();
            }
        };
        reader.handleEvent(channel);
    }

    private void append(ByteBuffer buf) {
        int n = buf.remaining();
        if (length + n > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, length + n));
        }
        buf.get(data, length, n);
        length += n;
    }

    /** The problem for a body that could not be read. */
    static Problem problemFor(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RequestTooBigException) {
                return Problem.BODY_TOO_LARGE.withDetail("the request body is larger than the gateway accepts");
            }
        }
        return Problem.BAD_REQUEST.withDetail("the request body is malformed or incomplete");
    }

    /**
     * Writes {@code bytes} to {@code sink} without blocking, then runs {@code then}; on a write error
     * {@code failed}. The sink's write listener is used while the socket is full.
     */
    static void write(StreamSinkChannel sink, ByteBuffer bytes, Runnable then, java.util.function.Consumer<IOException> failed) {
        ChannelListener<StreamSinkChannel> writer = new ChannelListener<>() {
            @Override
            public void handleEvent(StreamSinkChannel ch) {
                try {
                    while (bytes.hasRemaining()) {
                        if (ch.write(bytes) == 0) {
                            ch.getWriteSetter().set(this);
                            ch.resumeWrites();
                            return;
                        }
                    }
                } catch (IOException e) {
                    ch.suspendWrites();
                    ch.getWriteSetter().set(null);
                    failed.accept(e);
                    return;
                }
                ch.suspendWrites();
                ch.getWriteSetter().set(null);
                then.run();
            }
        };
        writer.handleEvent(sink);
    }
}
