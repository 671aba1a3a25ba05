package dev.tollgate.benchmarks.load;

import io.undertow.Undertow;
import io.undertow.server.handlers.ResponseCodeHandler;
import io.undertow.server.handlers.proxy.LoadBalancingProxyClient;
import io.undertow.server.handlers.proxy.ProxyHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import org.xnio.Options;

/**
 * The reference floor: Undertow's own {@link ProxyHandler} with a {@link LoadBalancingProxyClient}.
 *
 * <p>The proxy client keeps its backend connections per IO thread of this server, so its IO
 * thread count is also the number of backend connection pools. Pools are sized so that the
 * driver's default 64 connections never queue or get a 503: {@value #CONNECTIONS_PER_THREAD}
 * connections per IO thread and a queue of {@value #MAX_QUEUE_SIZE} waiting requests.
 */
final class UndertowProxyTarget implements ProxyUnderTest {

    static final int CONNECTIONS_PER_THREAD = 64;
    static final int MAX_QUEUE_SIZE = 1024;
    /** ProxyHandler's own per-request limit, in milliseconds (its API takes an int). */
    static final int MAX_REQUEST_TIME_MILLIS = 30_000;
    /** Its XNIO worker's name, the prefix of all its threads (the proxy client runs on them too). */
    static final String WORKER_NAME = "undertow-proxy";

    private final int ioThreads;
    private Undertow server;

    UndertowProxyTarget(int ioThreads) {
        this.ioThreads = ioThreads;
    }

    @Override
    public String name() {
        return "undertow-proxy";
    }

    /** The name given to this server's XNIO worker: threads "undertow-proxy I/O-1", ... */
    @Override
    public String threadNamePrefix() {
        return WORKER_NAME;
    }

    @Override
    public int start(URI backend) {
        LoadBalancingProxyClient client = new LoadBalancingProxyClient()
                .setConnectionsPerThread(CONNECTIONS_PER_THREAD)
                .setMaxQueueSize(MAX_QUEUE_SIZE)
                .addHost(backend);
        ProxyHandler proxy = ProxyHandler.builder()
                .setProxyClient(client)
                .setMaxRequestTime(MAX_REQUEST_TIME_MILLIS)
                .setNext(ResponseCodeHandler.HANDLE_404)
                .build();
        server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setIoThreads(ioThreads)
                .setWorkerThreads(Math.max(2, ioThreads))
                .setSocketOption(Options.TCP_NODELAY, true)
                .setWorkerOption(Options.WORKER_NAME, WORKER_NAME)
                .setHandler(proxy)
                .build();
        server.start();
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }
}
