package dev.tollgate.proxy;

import dev.tollgate.net.ClientAddress;
import dev.tollgate.net.TrustedProxies;

import dev.tollgate.internal.Checks;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the gateway talks to upstreams. Immutable and thread-safe; {@link #defaults()} or
 * {@link #builder()}.
 */
public final class ProxyOptions {

    /** What {@code Host} header the upstream receives. */
    public enum HostHeader {
        /** The upstream endpoint's own host and port (the default; the client's is in {@code X-Forwarded-Host}). */
        REWRITE,
        /** The {@code Host} the client sent. */
        PRESERVE
    }

    private static final ProxyOptions DEFAULTS = builder().build();

    private final Duration connectTimeout;
    private final Duration responseTimeout;
    private final Duration idleTimeout;
    private final int maxConnectionsPerThread;
    private final int maxWaitingPerThread;
    private final Duration acquireTimeout;
    private final HostHeader hostHeader;
    private final String via;
    private final TrustedProxies trustedProxies;
    private final ClientAddress clientAddress;

    private ProxyOptions(Builder b) {
        this.connectTimeout = b.connectTimeout;
        this.responseTimeout = b.responseTimeout;
        this.idleTimeout = b.idleTimeout;
        this.maxConnectionsPerThread = b.maxConnectionsPerThread;
        this.maxWaitingPerThread = b.maxWaitingPerThread;
        this.acquireTimeout = b.acquireTimeout;
        this.hostHeader = b.hostHeader;
        this.via = b.via;
        this.trustedProxies = b.trustedProxies;
        this.clientAddress = ClientAddress.rule(b.trustedProxies, b.trustedHops);
    }

    public static ProxyOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Time allowed to open a connection to an endpoint; then 504. Default 2 s. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Time from sending the request until the upstream's response headers arrive; then 504. Default 30 s. */
    public Duration responseTimeout() {
        return responseTimeout;
    }

    /** How long an unused pooled upstream connection is kept. Default 60 s. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Connections per endpoint per IO thread, open or opening. Default 128. */
    public int maxConnectionsPerThread() {
        return maxConnectionsPerThread;
    }

    /** Requests per endpoint per IO thread that may wait for a pooled connection. Default 1024. */
    public int maxWaitingPerThread() {
        return maxWaitingPerThread;
    }

    /** How long a request waits for a pooled connection; then 503. Default 5 s. */
    public Duration acquireTimeout() {
        return acquireTimeout;
    }

    public HostHeader hostHeader() {
        return hostHeader;
    }

    /** The pseudonym in {@code Via} ("1.1 tollgate"), or empty for no {@code Via}. */
    public String via() {
        return via;
    }

    /** Peers whose forwarding headers are kept and extended. Default: none. */
    public TrustedProxies trustedProxies() {
        return trustedProxies;
    }

    /**
     * How the real client address is found: the socket peer, or {@code X-Forwarded-For} read through
     * the trusted proxies, at most {@code trustedHops} entries (default 10).
     */
    public ClientAddress clientAddress() {
        return clientAddress;
    }

    /** Builds {@link ProxyOptions}. Not thread-safe. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration responseTimeout = Duration.ofSeconds(30);
        private Duration idleTimeout = Duration.ofSeconds(60);
        private int maxConnectionsPerThread = 128;
        private int maxWaitingPerThread = 1024;
        private Duration acquireTimeout = Duration.ofSeconds(5);
        private HostHeader hostHeader = HostHeader.REWRITE;
        private String via = "tollgate";
        private TrustedProxies trustedProxies = TrustedProxies.none();
        private int trustedHops = 10;

        private Builder() {
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Checks.positive("proxy.connectTimeout", timeout);
            return this;
        }

        public Builder responseTimeout(Duration timeout) {
            this.responseTimeout = Checks.positive("proxy.responseTimeout", timeout);
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = Checks.positive("proxy.idleTimeout", timeout);
            return this;
        }

        public Builder maxConnectionsPerThread(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("proxy.maxConnectionsPerThread: " + max + " (expected: >= 1)");
            }
            this.maxConnectionsPerThread = max;
            return this;
        }

        public Builder maxWaitingPerThread(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("proxy.maxWaitingPerThread: " + max + " (expected: >= 0)");
            }
            this.maxWaitingPerThread = max;
            return this;
        }

        public Builder acquireTimeout(Duration timeout) {
            this.acquireTimeout = Checks.positive("proxy.acquireTimeout", timeout);
            return this;
        }

        public Builder hostHeader(HostHeader policy) {
            this.hostHeader = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The {@code Via} pseudonym; empty turns {@code Via} off. Token characters only. */
        public Builder via(String pseudonym) {
            Objects.requireNonNull(pseudonym, "pseudonym");
            if (!pseudonym.isEmpty() && !Checks.isToken(pseudonym)) {
                throw new IllegalArgumentException("proxy.via: '" + pseudonym + "' (expected: an HTTP token, e.g. tollgate)");
            }
            this.via = pseudonym;
            return this;
        }

        /** Peers (CIDR ranges) whose forwarding headers are believed. */
        public Builder trustedProxies(List<String> cidrs) {
            this.trustedProxies = TrustedProxies.of(cidrs);
            return this;
        }

        /**
         * How many {@code X-Forwarded-For} entries, read from the right, may be stepped over to find
         * the client behind trusted proxies. Default 10; 0 means the socket peer is always the client.
         */
        public Builder trustedHops(int hops) {
            if (hops < 0) {
                throw new IllegalArgumentException("proxy.trustedHops: " + hops + " (expected: >= 0)");
            }
            this.trustedHops = hops;
            return this;
        }

        public ProxyOptions build() {
            return new ProxyOptions(this);
        }

    }
}
