package dev.tollgate.middleware;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A piece of request handling that wraps the next handler.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #wrap(HttpHandler)} is called once per place the middleware is used, while
 *       {@code Gateway.build()} compiles the handler chain, on the thread that calls {@code build()}.
 *       It returns the handler that will run for every request.</li>
 *   <li><b>Order:</b> the first middleware listed is the outermost. With
 *       {@code .use(a).use(b)}, a request runs {@code a}, then {@code b}, then the route; the response
 *       passes {@code b}'s hooks before {@code a}'s. Global middleware (on the gateway) runs before
 *       routing and so before all route middleware.</li>
 *   <li>The returned handler runs on the XNIO <b>IO thread</b> that read the request. It must not
 *       block. Blocking work goes to a worker with {@code exchange.dispatch(executor, task)}, and the
 *       task then calls {@code next.handleRequest(exchange)} (it may, from that worker thread).</li>
 *   <li><b>Short-circuit:</b> answer without calling {@code next}, for example with
 *       {@link ProblemResponder#send(HttpServerExchange, Problem)}.</li>
 *   <li><b>Response side:</b> use Undertow's own hooks: {@code exchange.addResponseCommitListener}
 *       runs just before the status line and headers are written (on the thread that commits the
 *       response, usually the IO thread); {@code exchange.addExchangeCompleteListener} runs when the
 *       exchange is over (the IO thread in the normal case). Listeners registered later run first,
 *       so the outermost middleware sees the response last.</li>
 * </ul>
 */
@FunctionalInterface
public interface Middleware {

    /**
     * Wraps the next handler. Called once at build time.
     *
     * @param next the handler to call to continue the chain; never null
     * @return the handler to run for each request; never null
     */
    HttpHandler wrap(HttpHandler next);

    /**
     * A middleware that runs {@code action} on the IO thread before the rest of the chain. The action
     * may change the request (headers, path) or end the exchange; when it has ended the exchange the
     * chain stops.
     */
    static Middleware onRequest(Consumer<HttpServerExchange> action) {
        Objects.requireNonNull(action, "action");
        return next -> exchange -> {
            action.accept(exchange);
            if (!exchange.isComplete() && !exchange.isResponseStarted()) {
                next.handleRequest(exchange);
            }
        };
    }

    /**
     * A middleware that runs {@code action} just before the response headers are written, on the
     * thread that commits the response (usually the IO thread). The action may add, change or remove
     * response headers and set the status code.
     */
    static Middleware onResponse(Consumer<HttpServerExchange> action) {
        Objects.requireNonNull(action, "action");
        return next -> exchange -> {
            exchange.addResponseCommitListener(action::accept);
            next.handleRequest(exchange);
        };
    }

    /**
     * A middleware that answers with {@code problem} when {@code rejects} returns true for the
     * exchange, and otherwise continues.
     */
    static Middleware rejectIf(java.util.function.Predicate<HttpServerExchange> rejects, Problem problem) {
        Objects.requireNonNull(rejects, "rejects");
        Objects.requireNonNull(problem, "problem");
        return next -> exchange -> {
            if (rejects.test(exchange)) {
                ProblemResponder.send(exchange, problem);
            } else {
                next.handleRequest(exchange);
            }
        };
    }

    /** A middleware that is a plain function from the next handler to a handler. */
    static Middleware of(Function<HttpHandler, HttpHandler> wrapper) {
        Objects.requireNonNull(wrapper, "wrapper");
        return wrapper::apply;
    }

    /**
     * Compiles a chain: the first middleware of the list ends up outermost.
     *
     * @param middleware the middleware in order, outermost first
     * @param terminal the handler at the end of the chain
     */
    static HttpHandler chain(List<? extends Middleware> middleware, HttpHandler terminal) {
        HttpHandler handler = Objects.requireNonNull(terminal, "terminal");
        for (int i = middleware.size() - 1; i >= 0; i--) {
            Middleware m = middleware.get(i);
            handler = Objects.requireNonNull(m.wrap(handler), () -> "middleware " + m + " returned a null handler");
        }
        return handler;
    }
}
