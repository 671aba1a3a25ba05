package dev.tollgate.middleware.ratelimit;

/** What a limiter does with a request that does not carry its key (no principal, no API key). */
public enum MissingKeyPolicy {
    /**
     * Answer 401 {@code unauthorized}: the keys that can be missing are identities (a user, an API
     * key), and a request without one has not said who it is. The default.
     */
    REJECT,
    /** Count every such request in one shared bucket, {@code anonymous}, under the same limits. */
    SHARED_ANONYMOUS
}
