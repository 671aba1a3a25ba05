package dev.tollgate.observe;

/** The state of a circuit breaker, as reported in {@link GatewayListener#breakerStateChanged}. */
public enum BreakerState {
    /** Calls flow; failures are counted. */
    CLOSED,
    /** Calls are refused without touching the network until the open time ends. */
    OPEN,
    /** A limited number of trial calls decide whether to close or open again. */
    HALF_OPEN
}
