package dev.tollgate.middleware.logging.internal;

import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.AbstractStreamSinkConduit;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.ConduitWritableByteChannel;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.StreamSinkConduit;
import org.xnio.conduits.StreamSourceConduit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Conduits that pass every byte through unchanged while counting them and copying the first
 * {@code limit} bytes aside, for the request and response logs. The copy grows as bytes arrive, so a
 * body smaller than the limit costs only its size. Used by the exchange's own thread.
 */
public final class CaptureConduits {

    private CaptureConduits() {
    }

    /** Counted bytes plus a copy of the first bytes. */
    public static final class Copy {
        private final int limit;
        private byte[] bytes = new byte[0];
        private int length;
        private long total;

        Copy(int limit) {
            this.limit = limit;
        }

        /** Records the {@code count} bytes of {@code buf} that start at absolute index {@code from}. */
        void record(ByteBuffer buf, int from, long count) {
            if (count <= 0) {
                return;
            }
            total += count;
            int take = (int) Math.min(count, limit - length);
            if (take <= 0) {
                return;
            }
            if (length + take > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(limit, Math.max(length + take, bytes.length * 2 + 64)));
            }
            for (int i = 0; i < take; i++) {
                bytes[length + i] = buf.get(from + i);
            }
            length += take;
        }

        void record(ByteBuffer[] bufs, int offs, int len, int[] before, long count) {
            long left = count;
            for (int i = 0; i < len && left > 0; i++) {
                ByteBuffer b = bufs[offs + i];
                int moved = b.position() - before[i];
                record(b, before[i], moved);
                left -= moved;
            }
        }

        static int[] positions(ByteBuffer[] bufs, int offs, int len) {
            int[] p = new int[len];
            for (int i = 0; i < len; i++) {
                p[i] = bufs[offs + i].position();
            }
            return p;
        }

        /** Bytes that passed through. */
        public long total() {
            return total;
        }

        /** Whether more bytes passed than were kept. */
        public boolean truncated() {
            return total > length;
        }

        /** The kept bytes as text (UTF-8, malformed sequences replaced). */
        public String text() {
            return new String(bytes, 0, length, StandardCharsets.UTF_8);
        }

        public byte[] bytes() {
            return Arrays.copyOf(bytes, length);
        }
    }

    /** The request side: wraps what the handler reads. */
    public static final class Source extends AbstractStreamSourceConduit<StreamSourceConduit> {
        private final Copy copy;

        public Source(StreamSourceConduit next, int limit) {
            super(next);
            this.copy = new Copy(limit);
        }

        public Copy copy() {
            return copy;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int from = dst.position();
            int n = next.read(dst);
            copy.record(dst, from, n);
            return n;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
            int[] before = Copy.positions(dsts, offs, len);
            long n = next.read(dsts, offs, len);
            copy.record(dsts, offs, len, before, n);
            return n;
        }

        @Override
        public long transferTo(long position, long count, FileChannel target) throws IOException {
            // through read(), so the bytes are seen
            return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
        }

        @Override
        public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
            return Conduits.transfer(this, count, throughBuffer, target);
        }
    }

    /** The response side: wraps what the handler writes. */
    public static final class Sink extends AbstractStreamSinkConduit<StreamSinkConduit> {
        private final Copy copy;

        public Sink(StreamSinkConduit next, int limit) {
            super(next);
            this.copy = new Copy(limit);
        }

        public Copy copy() {
            return copy;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int from = src.position();
            int n = next.write(src);
            copy.record(src, from, n);
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offs, int len) throws IOException {
            int[] before = Copy.positions(srcs, offs, len);
            long n = next.write(srcs, offs, len);
            copy.record(srcs, offs, len, before, n);
            return n;
        }

        @Override
        public int writeFinal(ByteBuffer src) throws IOException {
            int from = src.position();
            int n = next.writeFinal(src);
            copy.record(src, from, n);
            return n;
        }

        @Override
        public long writeFinal(ByteBuffer[] srcs, int offs, int len) throws IOException {
            int[] before = Copy.positions(srcs, offs, len);
            long n = next.writeFinal(srcs, offs, len);
            copy.record(srcs, offs, len, before, n);
            return n;
        }

        @Override
        public long transferFrom(FileChannel src, long position, long count) throws IOException {
            return src.transferTo(position, count, new ConduitWritableByteChannel(this));
        }

        @Override
        public long transferFrom(StreamSourceChannel source, long count, ByteBuffer throughBuffer) throws IOException {
            return Conduits.transfer(source, count, throughBuffer, this);
        }
    }
}
