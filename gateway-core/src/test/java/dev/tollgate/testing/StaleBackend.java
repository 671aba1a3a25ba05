package dev.tollgate.testing;

import io.undertow.server.ServerConnection;
import io.undertow.util.Headers;
import org.xnio.IoUtils;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A backend that, once {@link #killReused} is set, closes any keep-alive connection a further request
 * arrives on, without answering: what a gateway sees when the upstream closed a pooled connection
 * that the pool still thought alive. Otherwise it answers {@code got <body bytes>}. Thread-safe.
 */
public final class StaleBackend implements AutoCloseable {

    /** The connections that have carried a request. */
    public final Set<ServerConnection> seen = ConcurrentHashMap.newKeySet();
    /** While true, a second request on a connection closes it. */
    public final AtomicBoolean killReused = new AtomicBoolean();
    public final TestBackend backend;

    public StaleBackend() {
        backend = TestBackend.start("stale", ex -> {
            if (!seen.add(ex.getConnection()) && killReused.get()) {
                IoUtils.safeClose(ex.getConnection());
                return;
            }
            ex.getRequestReceiver().receiveFullBytes((e, bytes) -> {
                e.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                e.getResponseSender().send("got " + bytes.length);
            });
        });
    }

    @Override
    public void close() {
        backend.close();
    }
}
