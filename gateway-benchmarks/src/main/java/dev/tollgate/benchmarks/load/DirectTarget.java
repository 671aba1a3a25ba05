package dev.tollgate.benchmarks.load;

import java.net.URI;

/** The baseline: load goes straight to the backend, nothing in between. */
final class DirectTarget implements ProxyUnderTest {

    @Override
    public String name() {
        return "direct";
    }

    @Override
    public int start(URI backend) {
        return backend.getPort();
    }

    @Override
    public void close() {
        // nothing started
    }
}
