package dev.tollgate.middleware.jwt.internal;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request side of every bearer-token middleware: strip the client's copies of forwarded claim
 * headers, read the token, authenticate it, then attach the principal, forward claims and continue,
 * or refuse. Runs on the IO thread. When the authenticator must wait for a fetch, the exchange is
 * parked without holding any thread ({@code dispatch(SameThreadExecutor)}) and resumed on its own IO
 * thread when the answer arrives.
 */
public final class BearerHandler implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(BearerHandler.class);

    private final Authenticator authenticator;
    private final Forwarding forwarding;
    private final HttpHandler next;

    public BearerHandler(Authenticator authenticator, Forwarding forwarding, HttpHandler next) {
        this.authenticator = authenticator;
        this.forwarding = forwarding;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        forwarding.removeClientCopies(exchange);
        Object token = Bearer.token(exchange);
        if (token instanceof Outcome.Denied denied) {
            Bearer.respond(exchange, denied);
            return;
        }
        Outcome outcome;
        try {
            outcome = authenticator.authenticate((String) token);
        } catch (RuntimeException e) {
            // fail closed: a token that makes the checks throw is not a token we accept
            log.warn("token check failed unexpectedly", e);
            outcome = Bearer.invalidToken("the token could not be checked");
        }
        proceed(exchange, outcome);
    }

    private void proceed(HttpServerExchange exchange, Outcome outcome) throws Exception {
        if (outcome instanceof Outcome.Pending pending) {
            exchange.dispatch(SameThreadExecutor.INSTANCE, () -> pending.result().whenComplete((result, error) -> {
                Outcome done = error == null && result != null ? result : Bearer.unavailable("the token could not be checked");
                // a result may itself be pending (a verification that then needs a key fetch)
                exchange.dispatch(exchange.getIoThread(), ex -> proceed(ex, done));
            }));
        } else {
            finish(exchange, outcome);
        }
    }

    private void finish(HttpServerExchange exchange, Outcome outcome) throws Exception {
        if (outcome instanceof Outcome.Granted granted) {
            granted.principal().attach(exchange);
            forwarding.apply(exchange, granted.principal());
            next.handleRequest(exchange);
        } else {
            Bearer.respond(exchange, (Outcome.Denied) outcome);
        }
    }
}
