package dev.tollgate.upstream.internal;

import dev.tollgate.tls.internal.ClientSsl;
import dev.tollgate.upstream.Endpoint;
import org.xnio.ssl.XnioSsl;
import org.xnio.XnioIoThread;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live state of one endpoint: its current spec (weight may change), its connection pools (one
 * per IO thread, each touched only by its own thread), in-flight count and whether it was removed.
 */
public final class EndpointState {

    private volatile Endpoint endpoint;
    private volatile boolean removed;
    private final ClientSsl ssl;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<XnioIoThread, ConnectionPool> pools = new ConcurrentHashMap<>();

    // health: the counters of the passive detector are touched on IO threads without a lock; the rest
    // is written only under the owning pool's lock (UpstreamPool) and read through its snapshots
    /** 5xx responses in a row (outlier detection). */
    public final AtomicInteger consecutive5xx = new AtomicInteger();
    /** Connect failures, timeouts and resets in a row (outlier detection). */
    public final AtomicInteger consecutiveGatewayFailures = new AtomicInteger();
    /** Whether an active check of this endpoint is under way; keeps checks from piling up. */
    public final AtomicBoolean checkInFlight = new AtomicBoolean();
    /** Healthy by the active check; true until a check says otherwise. Under the pool's lock. */
    public volatile boolean checkHealthy = true;
    /** Passed and failed checks in a row. Under the pool's lock. */
    public int checkPasses;
    public int checkFailures;
    /** Ejected by outlier detection, until {@link #ejectedUntilNanos} ({@code System.nanoTime()}). Under the pool's lock. */
    public volatile boolean ejected;
    public long ejectedUntilNanos;
    /** Times ejected (decays while in); when the last ejection ended. Under the pool's lock. */
    public int ejectionCount;
    public long returnedAtNanos;
    /** Availability last reported to listeners, and why it last changed. Under the pool's lock. */
    public boolean reportedAvailable = true;
    public String reason = "";

    public EndpointState(Endpoint endpoint) {
        this(endpoint, null);
    }

    /** @param ssl the upstream's TLS for {@code https} endpoints; null when it has none */
    public EndpointState(Endpoint endpoint, ClientSsl ssl) {
        this.endpoint = endpoint;
        this.ssl = ssl;
    }

    /** The options for a new connection to this endpoint: the gateway's, plus the upstream's TLS ones for {@code https}. */
    public org.xnio.OptionMap clientOptions(org.xnio.OptionMap base) {
        return ssl != null && endpoint.tls() ? ssl.options(base) : base;
    }

    /** The TLS wrapper for connections to an {@code https} endpoint; null for {@code http}. */
    public XnioSsl ssl() {
        return ssl != null && endpoint.tls() ? ssl.get() : null;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /** Updates the spec for a kept endpoint (same URI, maybe another weight). */
    public void endpoint(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** Whether the endpoint may get traffic: healthy by its check (if any) and not ejected. */
    public boolean available() {
        return checkHealthy && !ejected;
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
