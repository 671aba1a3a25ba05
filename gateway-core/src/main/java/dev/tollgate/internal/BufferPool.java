package dev.tollgate.internal;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's buffer pool, for Undertow's listeners, the upstream client and the relay. Each thread
 * keeps a small stack of free buffers in a real {@link ThreadLocal}, so taking and returning a buffer
 * on an IO thread touches no lock. (Undertow's {@code DefaultByteBufferPool} finds its per-thread
 * cache through a synchronized map, which every IO thread then contends on, twice per buffer.)
 * Buffers freed beyond the per-thread stack go to a bounded shared queue; beyond that they are left
 * to the garbage collector. Thread-safe.
 */
public final class BufferPool implements ByteBufferPool {

    private static final int PER_THREAD = 16;

    private final int bufferSize;
    private final boolean direct;
    private final int sharedMax;
    private final ThreadLocal<ArrayDeque<ByteBuffer>> local = ThreadLocal.withInitial(() -> new ArrayDeque<>(PER_THREAD));
    private final ConcurrentLinkedQueue<ByteBuffer> shared = new ConcurrentLinkedQueue<>();
    private final AtomicInteger sharedSize = new AtomicInteger();
    private final BufferPool arrayBacked;
    private volatile boolean closed;

    /**
     * @param bufferSize bytes per buffer
     * @param direct whether buffers are off-heap
     * @param sharedMax most free buffers kept beyond the per-thread stacks
     */
    public BufferPool(int bufferSize, boolean direct, int sharedMax) {
        this.bufferSize = bufferSize;
        this.direct = direct;
        this.sharedMax = sharedMax;
        this.arrayBacked = direct ? new BufferPool(bufferSize, false, sharedMax) : this;
    }

    @Override
    public PooledByteBuffer allocate() {
        ByteBuffer buffer = local.get().pollLast();
        if (buffer == null) {
            buffer = shared.poll();
            if (buffer != null) {
                sharedSize.decrementAndGet();
            } else {
                buffer = direct ? ByteBuffer.allocateDirect(bufferSize) : ByteBuffer.allocate(bufferSize);
            }
        }
        buffer.clear();
        return new Pooled(buffer);
    }

    private void free(ByteBuffer buffer) {
        if (closed) {
            return;
        }
        ArrayDeque<ByteBuffer> stack = local.get();
        if (stack.size() < PER_THREAD) {
            stack.addLast(buffer);
        } else if (sharedSize.incrementAndGet() <= sharedMax) {
            shared.add(buffer);
        } else {
            sharedSize.decrementAndGet();
        }
    }

    @Override
    public ByteBufferPool getArrayBackedPool() {
        return arrayBacked;
    }

    @Override
    public void close() {
        closed = true;
        shared.clear();
        if (arrayBacked != this) {
            arrayBacked.close();
        }
    }

    @Override
    public int getBufferSize() {
        return bufferSize;
    }

    @Override
    public boolean isDirect() {
        return direct;
    }

    /** One lease of a buffer; closing it twice returns the buffer once. */
    private final class Pooled implements PooledByteBuffer {
        private ByteBuffer buffer;

        Pooled(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public ByteBuffer getBuffer() {
            ByteBuffer b = buffer;
            if (b == null) {
                throw new IllegalStateException("buffer already returned to the pool");
            }
            return b;
        }

        @Override
        public void close() {
            ByteBuffer b = buffer;
            if (b != null) {
                buffer = null;
                free(b);
            }
        }

        @Override
        public boolean isOpen() {
            return buffer != null;
        }
    }
}
