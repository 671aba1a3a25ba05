package dev.tollgate.middleware.ratelimit.internal;

/**
 * The outcome of one consumption across all limits of a key.
 *
 * @param allowed whether the request may pass
 * @param limit the index of the deciding limit: the violated one when refused, else the one with the
 *              least left
 * @param remaining units left per limit, in the limiter's order
 * @param retryAfterNanos when refused, how long until the request's cost fits; else 0
 * @param standIn whether the local stand-in decided because Redis was failing
 */
public record Decision(boolean allowed, int limit, long[] remaining, long retryAfterNanos, boolean standIn) {

    Decision asStandIn() {
        return new Decision(allowed, limit, remaining, retryAfterNanos, true);
    }
}
