package dev.tollgate.upstream;


import dev.tollgate.internal.Checks;
import dev.tollgate.net.ClientAddress;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * What {@link LoadBalancer#consistentHash(HashKey)} hashes: a request header, a cookie, the client
 * address or the path. Immutable and thread-safe; reading a key never blocks and allocates nothing
 * for headers, cookies and paths.
 */
public final class HashKey {

    /** The hash a key yields when the request lacks it; real hashes never take this value. */
    /** The hash of a request that does not carry the key; real hashes never take this value. */
    public static final long MISSING = 0;

    @FunctionalInterface
    private interface Hasher {
        long hash(HttpServerExchange exchange);
    }

    private final String description;
    private final Hasher hasher;

    private HashKey(String description, Hasher hasher) {
        this.description = description;
        this.hasher = hasher;
    }

    /**
     * The first value of a request header; a request without it falls back to round robin.
     *
     * @throws IllegalArgumentException if the name is not an HTTP token
     */
    public static HashKey header(String name) {
        Objects.requireNonNull(name, "name");
        if (!Checks.isToken(name)) {
            throw new IllegalArgumentException("hashKey.header: '" + name + "' (expected: a header name, e.g. X-User-Id)");
        }
        HttpString header = HttpString.tryFromString(name);
        return new HashKey("header " + name, exchange -> {
            String value = exchange.getRequestHeaders().getFirst(header);
            return value == null ? MISSING : Balancers.hash(value, 0, value.length());
        });
    }

    /**
     * The value of a request cookie; a request without it falls back to round robin.
     *
     * @throws IllegalArgumentException if the name is not an RFC 6265 token
     */
    public static HashKey cookie(String name) {
        Objects.requireNonNull(name, "name");
        if (!Checks.isToken(name)) {
            throw new IllegalArgumentException("hashKey.cookie: '" + name + "' (expected: an RFC 6265 token, e.g. session)");
        }
        return new HashKey("cookie " + name, exchange -> Balancers.hashCookie(exchange, name));
    }

    /**
     * The client's IP address as {@link ClientAddress#of} finds it: the socket peer, or the address
     * behind trusted proxies.
     */
    public static HashKey clientAddress() {
        return new HashKey("client address", exchange -> {
            InetAddress address = ClientAddress.of(exchange);
            if (address == null) {
                return MISSING;
            }
            if (address instanceof Inet4Address) {
                return Balancers.fix(Balancers.mix(address.hashCode() & 0xFFFF_FFFFL));
            }
            byte[] bytes = address.getAddress();
            long h = 0xcbf29ce484222325L;
            for (byte b : bytes) {
                h = (h ^ (b & 0xFF)) * 0x100000001b3L;
            }
            return Balancers.fix(Balancers.mix(h));
        });
    }

    /** The request path as the client sent it (decoded, without the query). */
    public static HashKey path() {
        return new HashKey("path", exchange -> {
            String path = exchange.getRequestPath();
            return path == null ? MISSING : Balancers.hash(path, 0, path.length());
        });
    }

    /**
     * The key's 64-bit hash for this request, or {@link #MISSING} when the request does not carry
     * the key. IO thread; does not block.
     */
    public long hash(HttpServerExchange exchange) {
        return hasher.hash(exchange);
    }

    @Override
    public String toString() {
        return "HashKey[" + description + "]";
    }
}
