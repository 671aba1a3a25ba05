package dev.tollgate.benchmarks.load;

import java.net.URI;

/**
 * Tollgate's gateway in front of the backend: one route {@code /**} to one upstream holding the
 * backend, no middleware, the same IO thread count as the other targets.
 *
 * <p>Placeholder until gateway-core is merged into this branch; {@link #start} then builds and
 * starts a {@code Gateway} on {@code 127.0.0.1:0} and returns its bound port, and {@link #close}
 * stops it.
 */
final class TollgateTarget implements ProxyUnderTest {

    private final int ioThreads;

    TollgateTarget(int ioThreads) {
        this.ioThreads = ioThreads;
    }

    @Override
    public String name() {
        return "tollgate";
    }

    @Override
    public int start(URI backend) {
        throw new UnsupportedOperationException("gateway-core not merged yet");
    }

    @Override
    public void close() {
        // nothing started yet
    }
}
