package dev.tollgate.upstream;

import dev.tollgate.upstream.internal.EndpointState;

/**
 * A read-only view of one endpoint of an upstream's current set, as a {@link LoadBalancer} sees it:
 * its spec and its live in-flight count. Thread-safe; reading it never blocks.
 */
public final class Candidate {

    private final EndpointState state;

    Candidate(EndpointState state) {
        this.state = state;
    }

    /** The endpoint's current spec (URI and weight). */
    public Endpoint endpoint() {
        return state.endpoint();
    }

    /** Requests the gateway has sent to this endpoint that have not completed yet; a live value. */
    public int inFlight() {
        return state.inFlight().get();
    }

    @Override
    public String toString() {
        return "Candidate[" + state + " inFlight=" + inFlight() + "]";
    }
}
