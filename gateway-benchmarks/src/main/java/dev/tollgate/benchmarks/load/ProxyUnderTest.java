package dev.tollgate.benchmarks.load;

import java.net.URI;

/**
 * One thing the load driver measures, sitting in front of the demo backend on loopback.
 *
 * <p>Called from the driver's main thread only: {@link #start} once, then {@link #close} once.
 */
interface ProxyUnderTest {

    /** Short name for the report, e.g. {@code "undertow-proxy"}. */
    String name();

    /**
     * The name prefix of every thread that does this target's work (its IO and worker threads),
     * so the driver can measure its CPU time per request; {@code null} if unknown. Only the
     * target's own threads: for a proxy, not the backend's.
     */
    default String threadNamePrefix() {
        return null;
    }

    /**
     * Starts the target in front of {@code backend} on {@code 127.0.0.1}.
     *
     * @param backend the demo backend, e.g. {@code http://127.0.0.1:41234}
     * @return the loopback port the load should be sent to
     * @throws Exception if it cannot start; {@link UnsupportedOperationException} means "not
     *     available in this build" and the driver skips the target
     */
    int start(URI backend) throws Exception;

    /** Stops the target and frees its threads and ports. Idempotent. */
    void close();
}
