package dev.tollgate.observe;

/** How one attempt to reach an upstream ended. */
public enum AttemptOutcome {
    /** The upstream answered (any status) and the response was relayed. */
    RESPONSE,
    /** The connection could not be opened. */
    CONNECT_FAILED,
    /** Opening the connection took longer than the connect timeout. */
    CONNECT_TIMEOUT,
    /** The response headers did not arrive within the response timeout. */
    RESPONSE_TIMEOUT,
    /** The upstream closed or reset the connection before or while answering. */
    UPSTREAM_RESET,
    /** No pooled connection was free in time, or the wait queue was full. */
    POOL_EXHAUSTED,
    /** The client went away or sent a broken body before the attempt finished. */
    CLIENT_ABORTED,
    /** There was no endpoint to send to. */
    NO_ENDPOINT
}
