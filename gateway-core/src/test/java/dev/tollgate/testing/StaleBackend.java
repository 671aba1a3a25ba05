package dev.tollgate.testing;

import io.undertow.server.ServerConnection;
import io.undertow.util.Headers;
import org.xnio.IoUtils;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A backend whose kept-alive connections can go stale: it answers {@code got <body bytes>}, and once
 * {@link #killReusedConnections(boolean)} is on it closes a connection, without answering, when a
 * further request arrives on it. A gateway's pooled connection is then dead when the next request
 * takes it, which is what makes the proxy replay a body-less idempotent request on a fresh one.
 * Requests are recorded like any custom handler's ({@link TestBackend#requests()}). Thread-safe.
 */
public final class StaleBackend implements AutoCloseable {

    private final Set<ServerConnection> seen = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean killReused = new AtomicBoolean();
    private final TestBackend backend;

    private StaleBackend() {
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

    public static StaleBackend start() {
        return new StaleBackend();
    }

    public TestBackend backend() {
        return backend;
    }

    /** Whether a request arriving on an already used connection closes it. Default off. */
    public void killReusedConnections(boolean on) {
        killReused.set(on);
    }

    /** Connections that have carried a request so far. */
    public int connectionsSeen() {
        return seen.size();
    }

    @Override
    public void close() {
        backend.close();
    }
}
