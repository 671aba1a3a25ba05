package dev.tollgate.net;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The real client address of a request: the socket peer, or, when the peer is a trusted proxy, the
 * address that proxy (and any trusted proxies before it) reported in {@code X-Forwarded-For}. The
 * chain is read from the right: trusted addresses are stepped over, at most {@link #maxHops()}
 * entries, and the first untrusted one is the client. An entry that is not an IP address stops the
 * walk at the last trusted hop, so a forged or garbled header never yields a better address than the
 * proxy that relayed it. A client that is not a trusted proxy gains nothing by sending the header.
 *
 * <p>Every middleware that decides by client address (IP filtering, rate limiting, consistent
 * hashing) uses {@link #of(HttpServerExchange)}, so they agree. The gateway installs its own rule
 * (from {@code ProxyOptions.trustedProxies}) on each connection; without one no peer is trusted.
 * Immutable and thread-safe.
 */
public final class ClientAddress {

    private static final AttachmentKey<ClientAddress> RULE = AttachmentKey.create(ClientAddress.class);
    private static final AttachmentKey<InetAddress> RESOLVED = AttachmentKey.create(InetAddress.class);
    private static final HttpString X_FORWARDED_FOR = new HttpString("X-Forwarded-For");
    private static final ClientAddress PEER_ONLY = new ClientAddress(TrustedProxies.none(), 0);

    private final TrustedProxies trusted;
    private final int maxHops;

    private ClientAddress(TrustedProxies trusted, int maxHops) {
        this.trusted = trusted;
        this.maxHops = maxHops;
    }

    /**
     * A rule that believes {@code X-Forwarded-For} only from {@code trusted} peers, reading at most
     * {@code maxHops} entries of it.
     *
     * @throws IllegalArgumentException if {@code maxHops} is negative
     */
    public static ClientAddress rule(TrustedProxies trusted, int maxHops) {
        Objects.requireNonNull(trusted, "trusted");
        if (maxHops < 0) {
            throw new IllegalArgumentException("clientAddress.maxHops: " + maxHops + " (expected: >= 0)");
        }
        return trusted.isEmpty() || maxHops == 0 ? PEER_ONLY : new ClientAddress(trusted, maxHops);
    }

    /** The rule that always answers the socket peer. */
    public static ClientAddress peerOnly() {
        return PEER_ONLY;
    }

    public TrustedProxies trusted() {
        return trusted;
    }

    public int maxHops() {
        return maxHops;
    }

    /**
     * Makes {@code rule} the one {@link #of(HttpServerExchange)} uses for this connection's requests.
     * The gateway calls it for every connection it serves; a host that mounts the gateway's handler
     * gets it too. IO thread.
     */
    public static void install(ServerConnection connection, ClientAddress rule) {
        if (connection.getAttachment(RULE) != rule) {
            connection.putAttachment(RULE, rule);
        }
    }

    /**
     * The client address of this request under the connection's rule; memoised on the exchange.
     * Null only when the connection has no IP peer (a test stub). Any thread; does not block.
     */
    public static InetAddress of(HttpServerExchange exchange) {
        InetAddress resolved = exchange.getAttachment(RESOLVED);
        if (resolved == null) {
            ClientAddress rule = exchange.getConnection().getAttachment(RULE);
            resolved = (rule == null ? PEER_ONLY : rule).resolve(exchange);
            if (resolved != null) {
                exchange.putAttachment(RESOLVED, resolved);
            }
        }
        return resolved;
    }

    /** Applies this rule to the exchange, without memoising. */
    public InetAddress resolve(HttpServerExchange exchange) {
        InetSocketAddress socketPeer = exchange.getConnection().getPeerAddress(InetSocketAddress.class);
        InetAddress client = socketPeer == null ? null : socketPeer.getAddress();
        if (client == null || maxHops == 0 || !trusted.trusts(client)) {
            return client;
        }
        HeaderValues values = exchange.getRequestHeaders().get(X_FORWARDED_FOR);
        if (values == null || values.isEmpty()) {
            return client;
        }
        int hops = 0;
        // several header lines form one list, in order
        for (int v = values.size() - 1; v >= 0; v--) {
            String list = values.get(v);
            int end = list.length();
            while (end > 0) {
                int comma = list.lastIndexOf(',', end - 1);
                String entry = list.substring(comma + 1, end).trim();
                end = comma < 0 ? 0 : comma;
                if (entry.isEmpty()) {
                    continue;
                }
                InetAddress hop = Cidr.parseAddress(entry);
                if (hop == null) {
                    return client;
                }
                client = hop;
                if (++hops >= maxHops || !trusted.trusts(hop)) {
                    return client;
                }
            }
        }
        return client;
    }

    @Override
    public String toString() {
        return maxHops == 0 ? "ClientAddress[peer]" : "ClientAddress[trusted=" + trusted + ", maxHops=" + maxHops + "]";
    }
}
