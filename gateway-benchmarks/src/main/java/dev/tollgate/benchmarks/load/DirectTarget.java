package dev.tollgate.benchmarks.load;

import dev.tollgate.examples.demo.DemoBackend;
import java.net.URI;

/** The baseline: load goes straight to the backend, nothing in between. */
final class DirectTarget implements ProxyUnderTest {

    @Override
    public String name() {
        return "direct";
    }

    /** Nothing of its own: the backend's threads, so its CPU per request is the backend's cost. */
    @Override
    public String threadNamePrefix() {
        return DemoBackend.WORKER_NAME;
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
