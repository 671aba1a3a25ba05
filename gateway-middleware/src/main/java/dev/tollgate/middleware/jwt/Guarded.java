package dev.tollgate.middleware.jwt;

import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.jwt.internal.Authenticator;
import dev.tollgate.middleware.jwt.internal.BearerHandler;
import dev.tollgate.middleware.jwt.internal.Forwarding;
import io.undertow.server.HttpHandler;

import java.util.Objects;

/**
 * An authentication middleware followed by a {@link Requirement}, as returned by
 * {@code require(...)}. Closing it closes the middleware it came from, so a gateway that closes its
 * middleware also closes one that is only used per route.
 */
final class Guarded implements Middleware, AutoCloseable {

    private final Authenticator authenticator;
    private final Forwarding forwarding;
    private final Requirement requirement;
    private final AutoCloseable owner;

    Guarded(Authenticator authenticator, Forwarding forwarding, Requirement requirement, AutoCloseable owner) {
        this.authenticator = authenticator;
        this.forwarding = forwarding;
        this.requirement = Objects.requireNonNull(requirement, "requirement");
        this.owner = owner;
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        return new BearerHandler(authenticator, forwarding, requirement.wrap(next));
    }

    @Override
    public void close() throws Exception {
        owner.close();
    }

    @Override
    public String toString() {
        return owner + " + " + requirement;
    }
}
