package dev.tollgate.middleware.jwt.internal;

import dev.tollgate.auth.Principal;
import dev.tollgate.error.Problem;

import java.util.concurrent.CompletableFuture;

/** What an {@link Authenticator} made of a token: granted, denied, or an answer still on its way. */
public sealed interface Outcome permits Outcome.Granted, Outcome.Denied, Outcome.Pending {

    /** The token is good; {@code principal} is the caller it proves. */
    record Granted(Principal principal) implements Outcome {
    }

    /**
     * The request is refused with {@code problem}; {@code challenge} is the {@code WWW-Authenticate}
     * value, or null when none belongs to the answer (a 503).
     */
    record Denied(Problem problem, String challenge) implements Outcome {
    }

    /** The answer needs a fetch; the future completes (never exceptionally) off the IO thread. */
    record Pending(CompletableFuture<Outcome> result) implements Outcome {
    }
}
