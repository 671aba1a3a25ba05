package dev.tollgate.middleware.jwt.internal;

/** Turns a bearer token into an {@link Outcome}. Thread-safe. */
public interface Authenticator {

    /**
     * Checks {@code token}, which passed {@link Bearer#precheck}. Runs on the IO thread and never
     * blocks: an answer that needs network IO comes back as {@link Outcome.Pending}.
     */
    Outcome authenticate(String token);
}
