package dev.tollgate.middleware.ratelimit.internal;

import io.undertow.util.AttachmentKey;

/**
 * The outcome of one consumption across all limits of a key.
 *
 * @param allowed whether the request may pass
 * @param limit the index of the deciding limit: the violated one when refused, else the one with the
 *              least left
 * @param remaining units left per limit, in the limiter's order
 * @param retryAfterNanos when refused, how long until the request's cost fits; else 0
 * @param standIn whether the local stand-in decided because Redis was failing
 * @param timeNanos when the bucket was read, on the store's clock ({@code System.nanoTime} for local
 *                  buckets, wall-clock nanoseconds for Redis): only differences within one store mean anything
 */
public record Decision(boolean allowed, int limit, long[] remaining, long retryAfterNanos, boolean standIn, long timeNanos) {

    /** Where the decision rides on the exchange, for the limiter's own tests and diagnostics. */
    public static final AttachmentKey<Decision> KEY = AttachmentKey.create(Decision.class);

    Decision asStandIn() {
        return new Decision(allowed, limit, remaining, retryAfterNanos, true, timeNanos);
    }
}
