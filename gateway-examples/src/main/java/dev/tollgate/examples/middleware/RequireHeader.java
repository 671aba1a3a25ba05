package dev.tollgate.examples.middleware;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.middleware.Middleware;
import io.undertow.server.HttpHandler;
import io.undertow.util.HttpString;

import java.util.Objects;

/**
 * Example middleware that short-circuits: a request without the expected header value is answered
 * with 403 {@code application/problem+json} and never reaches the upstream. Runs on the IO thread.
 */
public final class RequireHeader implements Middleware {

    private final HttpString name;
    private final String expected;

    private RequireHeader(String name, String expected) {
        this.name = HttpString.tryFromString(Objects.requireNonNull(name, "name"));
        this.expected = Objects.requireNonNull(expected, "expected");
    }

    /** Lets a request through only when header {@code name} equals {@code expected}. */
    public static RequireHeader of(String name, String expected) {
        return new RequireHeader(name, expected);
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        return exchange -> {
            if (expected.equals(exchange.getRequestHeaders().getFirst(name))) {
                next.handleRequest(exchange);
            } else {
                ProblemResponder.send(exchange, Problem.FORBIDDEN.withDetail("header " + name + " is missing or wrong"));
            }
        };
    }
}
