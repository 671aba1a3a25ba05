package dev.tollgate.examples.middleware;

import dev.tollgate.middleware.Middleware;
import io.undertow.server.HttpHandler;
import io.undertow.util.HttpString;

import java.util.Objects;

/**
 * Example middleware that adds a header to the request the upstream receives and to the response the
 * client receives. Both happen on the IO thread; the response header is set by a commit listener, so
 * it also lands on error responses the gateway makes itself.
 */
public final class AddHeader implements Middleware {

    private final HttpString name;
    private final String value;

    private AddHeader(String name, String value) {
        this.name = HttpString.tryFromString(Objects.requireNonNull(name, "name"));
        this.value = Objects.requireNonNull(value, "value");
    }

    /** Adds {@code name: value} to both the upstream request and the client response. */
    public static AddHeader of(String name, String value) {
        return new AddHeader(name, value);
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        return exchange -> {
            exchange.getRequestHeaders().put(name, value);
            exchange.addResponseCommitListener(ex -> ex.getResponseHeaders().put(name, value));
            next.handleRequest(exchange);
        };
    }
}
