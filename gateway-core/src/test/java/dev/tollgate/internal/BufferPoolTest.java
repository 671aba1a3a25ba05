package dev.tollgate.internal;

import io.undertow.connector.PooledByteBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BufferPoolTest {

    @Test
    void aReturnedBufferIsReusedClearedOnTheSameThread() {
        BufferPool pool = new BufferPool(1024, false, 4);
        PooledByteBuffer first = pool.allocate();
        ByteBuffer b = first.getBuffer();
        b.put((byte) 7).flip();
        first.close();
        PooledByteBuffer second = pool.allocate();
        assertThat(second.getBuffer()).isSameAs(b);
        assertThat(second.getBuffer().position()).isZero();
        assertThat(second.getBuffer().remaining()).isEqualTo(1024);
    }

    @Test
    void closingTwiceReturnsOnceAndAClosedLeaseRefusesItsBuffer() {
        BufferPool pool = new BufferPool(64, false, 4);
        PooledByteBuffer lease = pool.allocate();
        lease.close();
        lease.close();
        assertThat(lease.isOpen()).isFalse();
        assertThatThrownBy(lease::getBuffer).isInstanceOf(IllegalStateException.class);
        // returned once: two allocations now get two different buffers
        Set<ByteBuffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(pool.allocate().getBuffer());
        seen.add(pool.allocate().getBuffer());
        assertThat(seen).hasSize(2);
    }

    @Test
    void buffersFreedOnAnotherThreadAreNotLostOrShared() throws Exception {
        BufferPool pool = new BufferPool(64, true, 64);
        List<PooledByteBuffer> leases = new ArrayList<>();
        Set<ByteBuffer> originals = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 40; i++) {
            PooledByteBuffer l = pool.allocate();
            leases.add(l);
            originals.add(l.getBuffer());
        }
        // freed on another thread: 16 stay there, the rest go to the shared queue
        CompletableFuture.runAsync(() -> leases.forEach(PooledByteBuffer::close)).get(5, TimeUnit.SECONDS);
        Set<ByteBuffer> reused = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 24; i++) {
            PooledByteBuffer l = pool.allocate();
            assertThat(reused.add(l.getBuffer())).as("never handed out twice").isTrue();
        }
        // the 24 that overflowed the other thread's stack came back through the shared queue
        assertThat(originals).containsAll(reused);
        assertThat(pool.isDirect()).isTrue();
        assertThat(pool.getArrayBackedPool().isDirect()).isFalse();
        assertThat(pool.getBufferSize()).isEqualTo(64);
    }
}
