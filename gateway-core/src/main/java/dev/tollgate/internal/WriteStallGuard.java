package dev.tollgate.internal;

import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.AbstractStreamSinkConduit;
import org.xnio.conduits.StreamSinkConduit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes a client connection whose writes stall: the client stopped reading, so the response cannot
 * make progress for the idle timeout (a slow-read attack holds a connection, an upstream connection
 * and buffers forever otherwise). Installed once per connection as a sink conduit. It costs nothing
 * while writes go through; a check is scheduled only when a write would block, and at most one is
 * pending per connection. (Undertow's write timeout puts a timer on every resumption of writes,
 * which a proxy does for nearly every response.) Runs on the connection's IO thread.
 */
public final class WriteStallGuard {

    private final long idleNanos;
    private final ConcurrentHashMap<XnioIoThread, Deadlines> deadlines = new ConcurrentHashMap<>();

    public WriteStallGuard(long idleNanos) {
        this.idleNanos = idleNanos;
    }

    /** Wraps the connection's sink; call before anything writes to it. */
    public void install(StreamConnection connection) {
        XnioIoThread thread = connection.getIoThread();
        Deadlines d = deadlines.get(thread);
        if (d == null) {
            d = deadlines.computeIfAbsent(thread, t -> new Deadlines(t, idleNanos));
        }
        connection.getSinkChannel().setConduit(new Conduit(connection.getSinkChannel().getConduit(), connection, d));
    }

    private static final class Conduit extends AbstractStreamSinkConduit<StreamSinkConduit> {
        private final StreamConnection connection;
        private final Deadlines deadlines;
        private long written;
        private long writtenAtCheck;
        private boolean waiting;
        private Deadlines.Entry pending;

        Conduit(StreamSinkConduit next, StreamConnection connection, Deadlines deadlines) {
            super(next);
            this.connection = connection;
            this.deadlines = deadlines;
        }

        private long progress(long n) {
            if (n > 0) {
                written += n;
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) progress(next.write(src));
        }

        @Override
        public long write(ByteBuffer[] srcs, int offs, int len) throws IOException {
            return progress(next.write(srcs, offs, len));
        }

        @Override
        public int writeFinal(ByteBuffer src) throws IOException {
            return (int) progress(next.writeFinal(src));
        }

        @Override
        public long writeFinal(ByteBuffer[] srcs, int offs, int len) throws IOException {
            return progress(next.writeFinal(srcs, offs, len));
        }

        @Override
        public long transferFrom(FileChannel src, long position, long count) throws IOException {
            return progress(next.transferFrom(src, position, count));
        }

        @Override
        public long transferFrom(StreamSourceChannel source, long count, ByteBuffer throughBuffer) throws IOException {
            return progress(next.transferFrom(source, count, throughBuffer));
        }

        @Override
        public void resumeWrites() {
            waitForWritable();
            next.resumeWrites();
        }

        @Override
        public void wakeupWrites() {
            waitForWritable();
            next.wakeupWrites();
        }

        @Override
        public void suspendWrites() {
            waiting = false;
            next.suspendWrites();
        }

        private void waitForWritable() {
            waiting = true;
            if (pending == null) {
                writtenAtCheck = written;
                pending = deadlines.add(this::check);
            }
        }

        private void check() {
            pending = null;
            if (!waiting || !connection.isOpen()) {
                return;
            }
            if (written == writtenAtCheck) {
                // nothing went out for a whole idle period while a write was waiting
                IoUtils.safeClose(connection);
                return;
            }
            writtenAtCheck = written;
            pending = deadlines.add(this::check);
        }

        @Override
        public void terminateWrites() throws IOException {
            next.terminateWrites();
        }

        @Override
        public void truncateWrites() throws IOException {
            cancel();
            next.truncateWrites();
        }

        private void cancel() {
            if (pending != null) {
                pending.cancel();
                pending = null;
            }
        }
    }
}
