package dev.tollgate.upstream;

/** What an upstream does with a request when none of its endpoints is available (healthy and not ejected). */
public enum NoneHealthy {
    /** Answer at once with 503 {@code no-healthy-endpoint} (problem+json). The default. */
    FAIL_FAST,
    /** Panic mode: ignore health and spread the requests over all endpoints, as Envoy does. */
    PANIC
}
