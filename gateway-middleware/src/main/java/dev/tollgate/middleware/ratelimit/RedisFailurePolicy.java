package dev.tollgate.middleware.ratelimit;

/** What a Redis-backed limiter does while Redis fails (errors, timeouts, or its own executor is full). */
public enum RedisFailurePolicy {
    /**
     * Keep serving, limited by a local stand-in limiter with the same limits per instance (so the
     * fleet admits up to instances x the limit while Redis is out). The default.
     */
    FAIL_OPEN,
    /** Answer 503 {@code unavailable} until Redis is back. */
    FAIL_CLOSED
}
