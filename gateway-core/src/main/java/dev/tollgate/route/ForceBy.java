package dev.tollgate.route;

import dev.tollgate.internal.Checks;
import dev.tollgate.internal.Cookies;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import java.util.Objects;

/**
 * Where a {@link Split} reads the name of the upstream a request is forced to: a request header or a
 * cookie. Immutable and thread-safe; reading never blocks.
 */
public final class ForceBy {

    private final String description;
    private final HttpString header;
    private final String cookie;

    private ForceBy(String description, HttpString header, String cookie) {
        this.description = description;
        this.header = header;
        this.cookie = cookie;
    }

    /**
     * The first value of a request header, e.g. {@code X-Canary: canary}.
     *
     * @throws IllegalArgumentException if the name is not an HTTP token
     */
    public static ForceBy header(String name) {
        Objects.requireNonNull(name, "name");
        if (!Checks.isToken(name)) {
            throw new IllegalArgumentException("forceBy.header: '" + name + "' (expected: a header name, e.g. X-Canary)");
        }
        return new ForceBy("header " + name, HttpString.tryFromString(name), null);
    }

    /**
     * The value of a request cookie, e.g. {@code Cookie: canary=canary}.
     *
     * @throws IllegalArgumentException if the name is not an RFC 6265 token
     */
    public static ForceBy cookie(String name) {
        Objects.requireNonNull(name, "name");
        if (!Checks.isToken(name)) {
            throw new IllegalArgumentException("forceBy.cookie: '" + name + "' (expected: an RFC 6265 token, e.g. canary)");
        }
        return new ForceBy("cookie " + name, null, name);
    }

    /** This request's forcing value, or null when it has none. Any thread; never blocks. */
    public String value(HttpServerExchange exchange) {
        if (header != null) {
            return exchange.getRequestHeaders().getFirst(header);
        }
        return Cookies.value(exchange, cookie);
    }


    @Override
    public String toString() {
        return "ForceBy[" + description + "]";
    }
}
