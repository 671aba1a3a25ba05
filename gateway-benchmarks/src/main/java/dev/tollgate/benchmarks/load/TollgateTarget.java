package dev.tollgate.benchmarks.load;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;

import java.net.URI;
import java.time.Duration;

/**
 * Tollgate's gateway in front of the backend: one route {@code /**} to one upstream holding the
 * backend, no middleware, the same IO thread count as the other targets.
 */
final class TollgateTarget implements ProxyUnderTest {

    private final int ioThreads;
    private Gateway gateway;

    TollgateTarget(int ioThreads) {
        this.ioThreads = ioThreads;
    }

    @Override
    public String name() {
        return "tollgate";
    }

    /** The gateway's XNIO worker is named "tollgate": threads "tollgate I/O-1", "tollgate task-1", ... */
    @Override
    public String threadNamePrefix() {
        return "tollgate";
    }

    @Override
    public int start(URI backend) {
        gateway = Gateway.builder()
                .host("127.0.0.1")
                .port(0)
                .ioThreads(ioThreads)
                .upstream(Upstream.builder("backend").endpoint(backend))
                .route(Route.prefix("/").to("backend"))
                .build()
                .start();
        return gateway.port();
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.stop(Duration.ofSeconds(1));
        }
    }
}
