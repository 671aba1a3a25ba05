package dev.tollgate.benchmarks.load;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;

import java.net.URI;
import java.time.Duration;

/**
 * Tollgate's gateway in front of the backend: one route {@code /**} to one upstream holding the
 * backend, no middleware, the same IO thread count as the other targets. Observed
 * ({@code tollgate-observed}), it also runs everything observability has: metrics into a Prometheus
 * registry (scrape endpoint mounted), and tracing with every span recorded and exported in batches
 * (to an exporter that discards them, so the network is not measured).
 */
final class TollgateTarget implements ProxyUnderTest {

    private final int ioThreads;
    private final boolean observed;
    private Gateway gateway;

    TollgateTarget(int ioThreads) {
        this(ioThreads, false);
    }

    TollgateTarget(int ioThreads, boolean observed) {
        this.ioThreads = ioThreads;
        this.observed = observed;
    }

    @Override
    public String name() {
        return observed ? "tollgate-observed" : "tollgate";
    }

    /** The gateway's XNIO worker is named "tollgate": threads "tollgate I/O-1", "tollgate task-1", ... */
    @Override
    public String threadNamePrefix() {
        return "tollgate";
    }

    @Override
    public int start(URI backend) {
        Gateway.Builder b = Gateway.builder()
                .host("127.0.0.1")
                .port(0)
                .ioThreads(ioThreads)
                .upstream(Upstream.builder("backend").endpoint(backend))
                .route(Route.prefix("/").to("backend"));
        if (observed) {
            ObservedSetup.apply(b);
        }
        gateway = b.build().start();
        return gateway.port();
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.stop(Duration.ofSeconds(1));
        }
    }
}
