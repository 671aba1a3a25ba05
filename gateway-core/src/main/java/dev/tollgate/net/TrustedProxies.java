package dev.tollgate.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * The set of peers whose forwarding headers ({@code Forwarded}, {@code X-Forwarded-*}) the gateway
 * believes. A request from any other peer has those headers removed before they are used or
 * forwarded. Immutable and thread-safe. Empty by default: no peer is trusted.
 */
public final class TrustedProxies {

    private static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Cidr> ranges;

    private TrustedProxies(List<Cidr> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    /** Trusts no peer. */
    public static TrustedProxies none() {
        return NONE;
    }

    /** Trusts peers in these ranges. @throws IllegalArgumentException for a bad range */
    public static TrustedProxies of(List<String> cidrs) {
        Objects.requireNonNull(cidrs, "cidrs");
        return cidrs.isEmpty() ? NONE : new TrustedProxies(cidrs.stream().map(Cidr::parse).toList());
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    public List<Cidr> ranges() {
        return ranges;
    }

    /** Whether the peer is trusted. */
    public boolean trusts(InetAddress peer) {
        if (peer == null) {
            return false;
        }
        for (Cidr c : ranges) {
            if (c.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the socket peer is trusted. */
    public boolean trusts(InetSocketAddress peer) {
        return peer != null && trusts(peer.getAddress());
    }

    @Override
    public String toString() {
        return ranges.toString();
    }
}
