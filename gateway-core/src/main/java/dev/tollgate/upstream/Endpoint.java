package dev.tollgate.upstream;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * One backend instance of an upstream: an {@code http} or {@code https} base URI and a weight.
 * Immutable and thread-safe. Two endpoints are equal when their URI and weight are.
 */
public final class Endpoint {

    private final URI uri;
    private final int weight;
    private final String authority;

    private Endpoint(URI uri, int weight) {
        this.uri = uri;
        this.weight = weight;
        boolean tls = "https".equals(uri.getScheme());
        boolean defaultPort = (tls && uri.getPort() == 443) || (!tls && uri.getPort() == 80);
        this.authority = defaultPort ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    }

    /** An endpoint with weight 1. @throws IllegalArgumentException if the URI is not a usable base URI */
    public static Endpoint of(String uri) {
        return of(uri, 1);
    }

    /**
     * An endpoint with the given weight.
     *
     * @param uri base URI such as {@code http://orders-a:8080}; no path, query or fragment
     * @param weight relative share of traffic, 1 to 1000
     * @throws IllegalArgumentException if the URI is not a usable base URI or the weight is out of range
     */
    public static Endpoint of(String uri, int weight) {
        Objects.requireNonNull(uri, "uri");
        URI parsed;
        try {
            parsed = new URI(uri.trim());
        } catch (Exception e) {
            throw new IllegalArgumentException("endpoint: '" + uri + "' is not a URI (expected: http://host:port)");
        }
        return of(parsed, weight);
    }

    /** Like {@link #of(String, int)}. */
    public static Endpoint of(URI uri, int weight) {
        Objects.requireNonNull(uri, "uri");
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("endpoint: '" + uri + "' has no http or https scheme (expected: http://host:port)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("endpoint: '" + uri + "' has no host (expected: http://host:port)");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new IllegalArgumentException("endpoint: '" + uri + "' has port " + uri.getPort() + " (expected: 1..65535)");
        }
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
            throw new IllegalArgumentException("endpoint: '" + uri + "' has a path (expected: http://host:port; use a route rewrite for paths)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("endpoint: '" + uri + "' has a query, fragment or user info (expected: http://host:port)");
        }
        if (weight < 1 || weight > 1000) {
            throw new IllegalArgumentException("endpoint " + uri + ": weight " + weight + " (expected: 1..1000)");
        }
        int port = uri.getPort() != -1 ? uri.getPort() : ("https".equals(scheme) ? 443 : 80);
        URI normal = URI.create(scheme + "://" + (uri.getHost().contains(":") && !uri.getHost().startsWith("[")
                ? "[" + uri.getHost() + "]" : uri.getHost()) + ":" + port);
        return new Endpoint(normal, weight);
    }

    /** The base URI, always with an explicit port and no path. */
    public URI uri() {
        return uri;
    }

    public String host() {
        return uri.getHost();
    }

    public int port() {
        return uri.getPort();
    }

    public boolean tls() {
        return "https".equals(uri.getScheme());
    }

    public int weight() {
        return weight;
    }

    /** The value for a rewritten {@code Host} header: host, plus the port when it is not the scheme's default. */
    public String authority() {
        return authority;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint e && e.uri.equals(uri) && e.weight == weight;
    }

    @Override
    public int hashCode() {
        return uri.hashCode() * 31 + weight;
    }

    @Override
    public String toString() {
        return weight == 1 ? uri.toString() : uri + ";weight=" + weight;
    }
}
