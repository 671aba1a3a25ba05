package dev.tollgate.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

import org.junit.jupiter.api.Assumptions;

/**
 * Finds the Redis that Redis-backed tests run against, without a Redis client dependency: a raw
 * {@code PING} over a socket. {@code REDIS_URL} names it ({@code host:port} or
 * {@code redis://[[user]:password@]host[:port][/db]}, default {@code 127.0.0.1:6379}).
 *
 * <p>When Redis is not reachable, tests are skipped on a laptop but fail on CI ({@code CI=true}),
 * where a silently skipped suite would hide a broken setup.
 */
public final class TestRedis {

    private static final int TIMEOUT_MILLIS = 1_000;

    private TestRedis() {
    }

    /**
     * Where Redis listens.
     *
     * @param user the ACL user, or {@code null}
     * @param password the password, or {@code null} when none is needed
     */
    public record Endpoint(String host, int port, String user, String password) {
        /** {@code redis://host:port}, without credentials. */
        public String uri() {
            return "redis://" + host + ":" + port;
        }

        @Override
        public String toString() {
            return host + ":" + port; // no credentials in test output
        }
    }

    /**
     * Returns the Redis named by {@code REDIS_URL} once it answered {@code PING}.
     *
     * @throws org.opentest4j.TestAbortedException when it does not answer and {@code CI} is not {@code true}
     * @throws AssertionError when it does not answer and {@code CI=true}
     */
    public static Endpoint requireAvailable() {
        String url = System.getenv("REDIS_URL");
        Endpoint endpoint = parse(url == null || url.isBlank() ? "127.0.0.1:6379" : url.trim());
        String problem = ping(endpoint);
        if (problem == null) {
            return endpoint;
        }
        String message = "Redis not reachable at " + endpoint + " (" + problem + ")";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(message + "; CI=true requires it: start Redis or set REDIS_URL");
        }
        return Assumptions.abort(message
                + "; start one with: redis-server --daemonize yes --port 6379 --save '' --appendonly no");
    }

    /** Parses {@code host:port} or a {@code redis://} URL. */
    static Endpoint parse(String url) {
        if (!url.contains("://")) {
            url = "redis://" + url;
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("REDIS_URL: '" + url + "' (expected: host:port or redis://host:port)", e);
        }
        if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("REDIS_URL: '" + url + "' (expected: host:port or redis://host:port)");
        }
        String user = null;
        String password = null;
        String userInfo = uri.getUserInfo(); // already percent-decoded
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                password = userInfo;
            } else {
                user = colon == 0 ? null : userInfo.substring(0, colon);
                password = userInfo.substring(colon + 1);
            }
        }
        return new Endpoint(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort(), user, password);
    }

    /** Null when Redis answered PING, else what went wrong. */
    private static String ping(Endpoint endpoint) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            if (endpoint.password() != null) {
                out.write(endpoint.user() == null
                        ? command("AUTH", endpoint.password())
                        : command("AUTH", endpoint.user(), endpoint.password()));
                String auth = readLine(in);
                if (!auth.startsWith("+OK")) {
                    return "AUTH answered " + auth;
                }
            }
            out.write(command("PING"));
            out.flush();
            String reply = readLine(in);
            return reply.equals("+PONG") ? null : "PING answered " + reply;
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static byte[] command(String... args) {
        StringBuilder resp = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            resp.append('$').append(arg.getBytes(UTF_8).length).append("\r\n").append(arg).append("\r\n");
        }
        return resp.toString().getBytes(UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed before a reply");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(UTF_8);
    }
}
