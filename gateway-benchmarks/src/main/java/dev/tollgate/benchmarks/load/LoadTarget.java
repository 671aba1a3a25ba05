package dev.tollgate.benchmarks.load;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Where the load goes: a loopback address, a port and the path of the {@code GET} request.
 *
 * <p>Only loopback targets are accepted ({@code 127.0.0.0/8}, {@code localhost}, {@code ::1}), so
 * the driver cannot be pointed at somebody else's server. Immutable.
 */
final class LoadTarget {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern SAFE_PATH = Pattern.compile("/[\\x21-\\x7e]*");

    private final String host;
    private final InetSocketAddress address;
    private final String path;

    private LoadTarget(String host, InetSocketAddress address, String path) {
        this.host = host;
        this.address = address;
        this.path = path;
    }

    /**
     * @param host {@code localhost}, an IPv4 literal in 127.0.0.0/8, or {@code ::1} (brackets allowed)
     * @param port 1..65535
     * @param path request target, starting with {@code /}, printable ASCII without spaces
     * @throws IllegalArgumentException if the host is not loopback, or the port or path is invalid
     */
    static LoadTarget of(String host, int port, String path) {
        requireNonNull(host, "host");
        requireNonNull(path, "path");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        if (!SAFE_PATH.matcher(path).matches()) {
            throw new IllegalArgumentException("path: '" + path + "' (expected: starts with '/', printable ASCII, no spaces)");
        }
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return new LoadTarget(bare, new InetSocketAddress(loopback(bare), port), path);
    }

    /** Parses {@code http://127.0.0.1:8080}; a path in the URI is ignored in favour of {@code path}. */
    static LoadTarget of(URI base, String path) {
        requireNonNull(base, "base");
        if (!"http".equalsIgnoreCase(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("target: '" + base + "' (expected: http://127.0.0.1:PORT)");
        }
        int port = base.getPort() == -1 ? 80 : base.getPort();
        return of(base.getHost(), port, path);
    }

    /** Resolves {@code host} without asking DNS, and only if it is a loopback address. */
    static InetAddress loopback(String host) {
        boolean literal = isIpv4Literal(host) || host.contains(":");
        if (!literal && !"localhost".equalsIgnoreCase(host)) {
            throw new IllegalArgumentException("host: '" + host
                    + "' (expected: a loopback address: 127.0.0.0/8, localhost or ::1; the load driver never leaves this machine)");
        }
        InetAddress address;
        try {
            // a literal is parsed, not looked up; "localhost" is resolved by the local resolver
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host: '" + host + "' is not a valid address", e);
        }
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("host: '" + host + "' resolves to " + address.getHostAddress()
                    + " (expected: a loopback address: 127.0.0.0/8, localhost or ::1)");
        }
        return address;
    }

    private static boolean isIpv4Literal(String host) {
        if (!IPV4.matcher(host).matches()) {
            return false;
        }
        for (String octet : host.split("\\.")) {
            if (Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    InetSocketAddress address() {
        return address;
    }

    String path() {
        return path;
    }

    /** A direct buffer holding the whole request, positioned at 0; callers duplicate it. */
    ByteBuffer requestBytes() {
        String authority = (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        byte[] bytes = ("GET " + path + " HTTP/1.1\r\n"
                + "Host: " + authority + "\r\n"
                + "User-Agent: tollgate-load\r\n"
                + "Accept: */*\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return buffer;
    }

    @Override
    public String toString() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort() + path;
    }
}
