package dev.tollgate.middleware.ratelimit.internal;

import java.net.URI;
import java.util.Objects;

/**
 * A parsed Redis address: {@code host:port} or {@code redis[s]://[[user]:password@]host[:port][/db]}.
 * {@link #toString()} leaves the credentials out.
 *
 * @param user the ACL user, or null
 * @param password the password, or null
 */
public record RedisUrl(String host, int port, String user, String password, int database, boolean ssl) {

    /** @throws IllegalArgumentException naming the expected forms */
    public static RedisUrl parse(String url) {
        Objects.requireNonNull(url, "url");
        String u = url.trim();
        if (!u.contains("://")) {
            u = "redis://" + u;
        }
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw invalid(url);
        }
        boolean ssl = "rediss".equals(uri.getScheme());
        if (!(ssl || "redis".equals(uri.getScheme())) || uri.getHost() == null) {
            throw invalid(url);
        }
        String user = null;
        String password = null;
        String info = uri.getUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            if (colon < 0) {
                password = info;
            } else {
                user = colon == 0 ? null : info.substring(0, colon);
                password = info.substring(colon + 1);
            }
        }
        int database = 0;
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw invalid(url);
            }
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new RedisUrl(host, uri.getPort() < 0 ? 6379 : uri.getPort(), user, password, database, ssl);
    }

    private static IllegalArgumentException invalid(String url) {
        // the URL may hold a password: show only its shape
        String shown = url.contains("@") ? "<url with credentials>" : url;
        return new IllegalArgumentException("redis url: '" + shown
                + "' (expected: host:port or redis://[[user]:password@]host[:port][/db])");
    }

    /** {@code host:port}, IPv6 hosts in brackets. */
    public String hostAndPort() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return hostAndPort();
    }
}
