package dev.tollgate.upstream.internal;

import dev.tollgate.upstream.Endpoint;
import org.xnio.XnioIoThread;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live state of one endpoint: its current spec (weight may change), its connection pools (one
 * per IO thread, each touched only by its own thread), in-flight count and whether it was removed.
 */
public final class EndpointState {

    private volatile Endpoint endpoint;
    private volatile boolean removed;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<XnioIoThread, ConnectionPool> pools = new ConcurrentHashMap<>();

    public EndpointState(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** Updates the spec for a kept endpoint (same URI, maybe another weight). */
    public void endpoint(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    public boolean removed() {
        return removed;
    }

    /** Marks the endpoint as out of its upstream: its connections close once idle. */
    public void markRemoved() {
        removed = true;
    }

    public AtomicInteger inFlight() {
        return inFlight;
    }

    /** The pool for the given IO thread, created on first use. Call only on that thread. */
    public ConnectionPool pool(XnioIoThread thread, ConnectionPool.Settings settings) {
        ConnectionPool pool = pools.get(thread);
        if (pool == null) {
            pool = pools.computeIfAbsent(thread, t -> new ConnectionPool(t, this, settings));
        }
        return pool;
    }

    /** All pools, for shutdown and removal: close them through their own thread. */
    public Collection<ConnectionPool> pools() {
        return pools.values();
    }

    @Override
    public String toString() {
        return endpoint.toString() + (removed ? " (removed)" : "");
    }
}
