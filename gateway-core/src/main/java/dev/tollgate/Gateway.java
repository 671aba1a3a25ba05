package dev.tollgate;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.internal.BufferPool;
import dev.tollgate.internal.Checks;
import dev.tollgate.internal.Health;
import dev.tollgate.internal.HealthGate;
import dev.tollgate.resilience.Fallback;
import dev.tollgate.resilience.RetryPolicy;
import dev.tollgate.internal.InFlight;
import dev.tollgate.internal.RequestGuard;
import dev.tollgate.internal.RoutingHandler;
import dev.tollgate.internal.WriteStallGuard;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.net.ClientAddress;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.proxy.ProxyOptions;
import dev.tollgate.proxy.internal.ProxyEngine;
import dev.tollgate.route.Route;
import dev.tollgate.route.Versioning;
import dev.tollgate.route.internal.Router;
import dev.tollgate.route.Split;
import dev.tollgate.route.internal.SplitHandler;
import dev.tollgate.tls.Tls;
import dev.tollgate.tls.internal.ServerTls;
import dev.tollgate.proxy.internal.MirrorHandler;
import dev.tollgate.upstream.Upstream;
import dev.tollgate.upstream.UpstreamPool;
import dev.tollgate.upstream.internal.ActiveHealthChecker;
import dev.tollgate.upstream.internal.EndpointState;
import dev.tollgate.upstream.internal.OutlierListener;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import io.undertow.server.protocol.http.AlpnOpenListener;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.server.protocol.http2.Http2OpenListener;
import io.undertow.server.protocol.http2.Http2UpgradeHandler;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.channels.AcceptingChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A gateway: listeners, the compiled handler chain, the upstream pools, health endpoints and their
 * lifecycle. Build one with {@link #builder()}; the built gateway's configuration never changes
 * (only upstream endpoint sets, through {@link #upstream(String)}) and it is thread-safe.
 *
 * <p>Lifecycle: {@link #start()} binds the listeners; {@link #stop(Duration)} stops accepting, lets
 * in-flight requests finish up to the drain time, then closes everything; {@link #close()} is
 * {@code stop} with the configured drain time. Or do not start it and mount {@link #handler()} in a
 * host application's own Undertow server; {@link #close()} then releases the upstream connections.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    /** Streams one HTTP/2 connection may have open at once. */
    static final int MAX_CONCURRENT_STREAMS = 100;

    private final String host;
    private final int port;
    private final Integer adminPort;
    private final int ioThreads;
    private final int workerThreads;
    private final Duration drainTimeout;
    private final Limits limits;
    private final Map<String, UpstreamPool> upstreams;
    private final InFlight inFlight;
    private final HttpHandler handler;
    private final HttpHandler adminHandler;
    private final ServerTls tls;
    private final boolean http2Cleartext;
    private final Object lifecycle = new Object();
    private Listener server;
    private Listener adminServer;
    private XnioWorker worker;
    private volatile int boundPort = -1;
    private volatile int boundAdminPort = -1;
    private volatile boolean closed;

    // one pool for listeners, upstream connections and the relay: 16 KiB direct buffers
    private final BufferPool buffers = new BufferPool(16 * 1024, true, 1024);
    private final WriteStallGuard stallGuard;
    private final ActiveHealthChecker healthChecker;
    private final List<AutoCloseable> owned;
    private final GatewayListener userEvents;
    // connections accepted by this gateway's listeners and not yet closed
    private final LongAdder openConnections = new LongAdder();

    private Gateway(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.adminPort = b.adminPort;
        this.ioThreads = b.ioThreads;
        this.workerThreads = b.workerThreads;
        this.drainTimeout = b.drainTimeout;
        this.limits = b.limits;
        this.http2Cleartext = b.http2Cleartext;
        this.tls = b.tls == null ? null : ServerTls.create(b.tls);
        this.stallGuard = new WriteStallGuard(b.limits.idleTimeout().toNanos());
        GatewayListener userEvents = GatewayListener.composite(b.listeners);
        this.userEvents = userEvents;
        Map<String, UpstreamPool> pools = new LinkedHashMap<>();
        for (Upstream u : b.upstreams) {
            pools.put(u.name(), new UpstreamPool(u, state -> ProxyEngine.closePools(state, true), userEvents));
        }
        this.upstreams = Map.copyOf(pools);
        this.healthChecker = new ActiveHealthChecker(pools.values());
        // attempt outcomes feed passive outlier detection through the same events the sinks see
        List<GatewayListener> all = new ArrayList<>(b.listeners);
        all.add(new OutlierListener(pools));
        GatewayListener events = GatewayListener.composite(all);
        ProxyEngine engine = new ProxyEngine(b.proxy, events, buffers);

        List<Route> routes = new ArrayList<>();
        Map<Route, HttpHandler> chains = new LinkedHashMap<>();
        for (Route r : b.uniqueIds()) {
            HttpHandler terminal = r.handler() != null ? r.handler()
                    : r.split() != null ? new SplitHandler(r.split(), r.split().sides().stream()
                            .map(side -> HealthGate.wrap(pools.get(side.upstream()),
                                    engine.handlerFor(pools.get(side.upstream()), r, pools::get), events))
                            .toList())
                    : HealthGate.wrap(pools.get(r.upstream()), engine.handlerFor(pools.get(r.upstream()), r, pools::get), events);
            if (r.mirror() != null) {
                // bodies are mirrored up to the replay limit of the route (or of its upstream)
                long limit = r.retry().map(RetryPolicy::maxReplayBodyBytes).orElseGet(() -> r.upstream() != null
                        ? pools.get(r.upstream()).spec().retry().maxReplayBodyBytes() : RetryPolicy.ofDefaults().maxReplayBodyBytes());
                terminal = new MirrorHandler(terminal, r.mirror(), pools.get(r.mirror().upstream()), engine,
                        r.handler() == null, limit, events);
            }
            chains.put(r, Middleware.chain(r.middleware(), terminal));
            routes.add(r);
        }
        HttpHandler routing = new RoutingHandler(new Router(routes, b.versioning), chains);
        HttpHandler app = Middleware.chain(b.middleware, routing);
        this.owned = owned(b, routes);

        Health health = new Health(pools.values(), this::draining);
        HttpHandler healthHandler;
        if (b.adminPort == null) {
            healthHandler = health.routes(b.healthPath, b.readyPath, adminRoutes(b.adminRoutes, app));
            this.adminHandler = null;
        } else {
            healthHandler = app;
            this.adminHandler = health.routes(b.healthPath, b.readyPath, adminRoutes(b.adminRoutes,
                    exchange -> ProblemResponder.send(exchange, Problem.NO_ROUTE)));
        }
        HttpHandler guarded = new RequestGuard(new HttpContinueReadHandler(healthHandler), b.limits);
        this.inFlight = new InFlight(guarded, events, b.proxy.clientAddress());
        this.handler = inFlight;
    }

    /** Answers the extra admin paths and hands everything else to {@code next}; nothing added without any. */
    private static HttpHandler adminRoutes(Map<String, HttpHandler> routes, HttpHandler next) {
        if (routes.isEmpty()) {
            return next;
        }
        Map<String, HttpHandler> byPath = Map.copyOf(routes);
        return exchange -> {
            HttpHandler h = byPath.get(exchange.getRequestPath());
            (h != null ? h : next).handleRequest(exchange);
        };
    }

    /** Starts a gateway description. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The compiled handler, to mount into a host application's own Undertow server (which then owns
     * listeners and threads). The gateway's limits on header size are enforced by this handler too.
     * Mounting starts the gateway's background work that does not need its own listener (active
     * health checks); {@link #close()} stops it, so close the gateway when the host stops.
     *
     * @throws IllegalStateException if the gateway is closed
     */
    public HttpHandler handler() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("gateway is closed (expected: a new gateway from the builder)");
            }
            healthChecker.start();
        }
        return handler;
    }

    /**
     * Binds the listeners and starts serving.
     *
     * @return this gateway
     * @throws IllegalStateException if already started or closed
     * @throws UncheckedIOException if a port cannot be bound
     */
    public Gateway start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("gateway is closed (expected: a new gateway from the builder)");
            }
            if (server != null) {
                throw new IllegalStateException("gateway is already started");
            }
            try {
                worker = Xnio.getInstance().createWorker(OptionMap.builder()
                        .set(Options.WORKER_IO_THREADS, ioThreads)
                        .set(Options.WORKER_TASK_CORE_THREADS, workerThreads)
                        .set(Options.WORKER_TASK_MAX_THREADS, workerThreads)
                        .set(Options.WORKER_NAME, "tollgate")
                        .set(Options.TCP_NODELAY, true)
                        .getMap());
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the gateway's IO threads", e);
            }
            try {
                server = new Listener(port, handler, tls, http2Cleartext && tls == null);
                boundPort = server.port();
                if (adminHandler != null) {
                    adminServer = new Listener(adminPort, new InFlight(adminHandler, new GatewayListener() {
                    }, ClientAddress.peerOnly()), null, false);
                    boundAdminPort = adminServer.port();
                }
            } catch (IOException | RuntimeException e) {
                shutdownServers();
                server = null;
                closed = true;
                throw new UncheckedIOException(new IOException("could not bind " + host + ":" + port
                        + (adminPort != null ? " / admin " + adminPort : "") + ": " + e.getMessage(), e));
            }
            healthChecker.start();
            if (tls != null) {
                tls.start();
            }
            userEvents.gatewayStarted(this);
            log.info("gateway listening on {}:{}{}{} with upstreams {}", host, boundPort, tls == null ? "" : tls.http2() ? " (TLS, h2)" : " (TLS)",
                    adminServer != null ? " (admin on " + boundAdminPort + ")" : "", new TreeSet<>(upstreams.keySet()));
            return this;
        }
    }

    /**
     * One HTTP listener on the gateway's worker. Built on XNIO directly rather than {@code Undertow},
     * because a drain must stop accepting without closing the connections whose requests are still
     * being answered ({@code Undertow.ListenerInfo.suspend()} closes them all).
     *
     * <p>With TLS, accepted connections are wrapped by XNIO's TLS and, when HTTP/2 is on, ALPN picks
     * HTTP/2 or HTTP/1.1 per connection; cleartext HTTP/2 (h2c) is the HTTP/1.1 listener answering
     * {@code Upgrade: h2c} and the prior-knowledge preface. A listener without either is exactly the
     * plain HTTP/1.1 one.
     */
    private final class Listener {
        private final AcceptingChannel<? extends StreamConnection> channel;
        private final HttpOpenListener open;
        private final Http2OpenListener open2;

        Listener(int listenPort, HttpHandler root, ServerTls tls, boolean h2c) throws IOException {
            boolean h2 = h2c || (tls != null && tls.http2());
            OptionMap.Builder optionsBuilder = OptionMap.builder()
                    .set(UndertowOptions.MAX_HEADER_SIZE, Math.max(64 * 1024, limits.maxHeaderBytes() * 2))
                    .set(UndertowOptions.MAX_HEADERS, limits.maxHeaderCount() * 2 + 16)
                    .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) limits.requestParseTimeout().toMillis())
                    .set(UndertowOptions.NO_REQUEST_TIMEOUT, (int) limits.idleTimeout().toMillis())
                    .set(UndertowOptions.IDLE_TIMEOUT, (int) limits.idleTimeout().toMillis())
                    .set(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
                    // the chunked decoder takes its size cap when the head is parsed, before any
                    // handler runs: without this a chunked body could grow past the limit
                    .set(UndertowOptions.MAX_ENTITY_SIZE, limits.maxRequestBodyBytes() > 0 ? limits.maxRequestBodyBytes() : -1L);
            if (h2) {
                // the same bounds for HTTP/2: its header list, and a cap on streams a connection may open at once
                optionsBuilder.set(UndertowOptions.ENABLE_HTTP2, true)
                        .set(UndertowOptions.HTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, Math.max(64 * 1024, limits.maxHeaderBytes() * 2))
                        .set(UndertowOptions.HTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_CONCURRENT_STREAMS);
            }
            OptionMap undertowOptions = optionsBuilder.getMap();
            open = new HttpOpenListener(buffers, undertowOptions);
            open.setRootHandler(h2c ? new Http2UpgradeHandler(root) : root);
            if (tls != null && tls.http2()) {
                open2 = new Http2OpenListener(buffers, undertowOptions);
                open2.setRootHandler(root);
            } else {
                open2 = null;
            }
            OptionMap socketOptions = OptionMap.builder()
                    .set(Options.BACKLOG, 1024)
                    .set(Options.REUSE_ADDRESSES, true)
                    .set(Options.TCP_NODELAY, true)
                    .getMap();
            // Undertow's IDLE_TIMEOUT never fires on HTTP/1.1 and its read and write timeouts put a timer
            // on nearly every request. The bounds instead: the parse timeout for the head,
            // NO_REQUEST_TIMEOUT between requests, RequestGuard for a body that stalls, and the stall
            // guard for a client that stops reading its response
            if (tls == null) {
                ChannelListener<AcceptingChannel<StreamConnection>> accept = ChannelListeners.openListenerAdapter(
                        (ChannelListener<StreamConnection>) connection -> {
                            stallGuard.install(connection);
                            openConnections.increment();
                            open.handleEvent(connection);
                            countClose(connection);
                        });
                channel = worker.createStreamConnectionServer(new InetSocketAddress(host, listenPort), accept, socketOptions);
            } else {
                ChannelListener<StreamConnection> protocols = open;
                if (open2 != null) {
                    AlpnOpenListener alpn = new AlpnOpenListener(buffers, undertowOptions, open);
                    alpn.addProtocol(Http2OpenListener.HTTP2, open2, 10);
                    protocols = alpn;
                }
                ChannelListener<StreamConnection> next = protocols;
                // the stall guard sits above TLS: it counts application bytes the client accepted
                ChannelListener<AcceptingChannel<StreamConnection>> accept = ChannelListeners.openListenerAdapter(
                        (ChannelListener<StreamConnection>) connection -> {
                            stallGuard.install(connection);
                            openConnections.increment();
                            next.handleEvent(connection);
                            countClose(connection);
                        });
                @SuppressWarnings({"unchecked", "rawtypes"})
                ChannelListener<AcceptingChannel<org.xnio.ssl.SslConnection>> sslAccept = (ChannelListener) accept;
                channel = tls.ssl().createSslConnectionServer(worker, new InetSocketAddress(host, listenPort), sslAccept,
                        OptionMap.builder().addAll(socketOptions).addAll(tls.engineOptions()).getMap());
            }
            channel.resumeAccepts();
        }

        int port() {
            return ((InetSocketAddress) channel.getLocalAddress()).getPort();
        }

        /** Chains a decrement of the open-connection count before Undertow's own close listener. */
        private void countClose(StreamConnection connection) {
            ChannelListener<? super StreamConnection> undertow = connection.getCloseListener();
            AtomicBoolean counted = new AtomicBoolean();
            Runnable closed = () -> {
                if (counted.compareAndSet(false, true)) {
                    openConnections.decrement();
                }
            };
            connection.setCloseListener(c -> {
                closed.run();
                ChannelListeners.invokeChannelListener(c, undertow);
            });
            if (!connection.isOpen()) {
                closed.run(); // closed while Undertow set it up: its close listener has already run
            }
        }

        /** Stops accepting; connections already open go on. */
        void stopAccepting() {
            channel.suspendAccepts();
            IoUtils.safeClose(channel);
        }

        /** Closes the connections still open (idle keep-alive ones, after a drain). */
        void closeConnections() {
            open.closeConnections();
            if (open2 != null) {
                open2.closeConnections();
            }
        }
    }

    /** The bound port after {@link #start()} (the real one when configured as 0). */
    public int port() {
        int p = boundPort;
        if (p < 0) {
            throw new IllegalStateException("gateway is not started");
        }
        return p;
    }

    /** The bound admin port, when an admin port is configured and the gateway started. */
    public int adminPort() {
        int p = boundAdminPort;
        if (p < 0) {
            throw new IllegalStateException("gateway has no admin listener (configure adminPort and start it)");
        }
        return p;
    }

    /**
     * The run-time handle of an upstream, to change its endpoints.
     *
     * @throws IllegalArgumentException if there is no such upstream
     */
    public UpstreamPool upstream(String name) {
        UpstreamPool pool = upstreams.get(name);
        if (pool == null) {
            throw new IllegalArgumentException("upstream '" + name + "' is not defined (known: "
                    + String.join(", ", new TreeSet<>(upstreams.keySet())) + ")");
        }
        return pool;
    }

    /** All upstreams by name. */
    public Map<String, UpstreamPool> upstreams() {
        return upstreams;
    }

    /** Requests currently being handled. */
    public long inFlight() {
        return inFlight.count();
    }

    /**
     * Client connections open on this gateway's listeners (main and admin port), idle keep-alive ones
     * included; 0 when not started or when {@link #handler()} is mounted in a host's own server. Any thread.
     */
    public long openConnections() {
        return openConnections.sum();
    }

    /** Whether a stop has begun: readiness answers 503 and connections close after their request. */
    public boolean draining() {
        return inFlight.draining();
    }

    /**
     * Stops gracefully: readiness turns 503, the listeners stop accepting connections, requests in
     * flight finish (their connections then close) for up to {@code drain}, and then listeners,
     * upstream connections and threads close, and then every middleware it was built with that is
     * {@link AutoCloseable} (global or per route, each once). Safe to call more than once and from any thread but an
     * IO thread of this gateway.
     *
     * @return whether every in-flight request finished within {@code drain}
     */
    public boolean stop(Duration drain) {
        Objects.requireNonNull(drain, "drain");
        synchronized (lifecycle) {
            if (closed) {
                return true;
            }
            closed = true;
            inFlight.startDraining();
            for (Listener l : new Listener[]{server, adminServer}) {
                if (l != null) {
                    l.stopAccepting();
                }
            }
            boolean drained;
            try {
                drained = inFlight.awaitIdle(drain);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                drained = false;
            }
            healthChecker.close();
            if (!drained) {
                log.warn("gateway stopped with {} request(s) still in flight after {}", inFlight.count(), drain);
            }
            for (UpstreamPool u : upstreams.values()) {
                for (EndpointState s : u.states()) {
                    ProxyEngine.closePools(s, false);
                }
            }
            shutdownServers();
            if (tls != null) {
                tls.close();
            }
            buffers.close();
            closeOwned();
            log.info("gateway stopped (drained: {})", drained);
            return drained;
        }
    }

    /** What closes with the gateway: onClose resources, then closeable middleware and listeners; once each. */
    private static List<AutoCloseable> owned(Builder b, List<Route> routes) {
        Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<AutoCloseable> out = new ArrayList<>();
        List<Object> candidates = new ArrayList<>(b.closeables);
        candidates.addAll(b.middleware);
        for (Route r : routes) {
            candidates.addAll(r.middleware());
        }
        candidates.addAll(b.listeners);
        for (Object o : candidates) {
            if (o instanceof AutoCloseable c && seen.add(o)) {
                out.add(c);
            }
        }
        return List.copyOf(out);
    }

    // last registered closes first, as resources set up later may use earlier ones
    private void closeOwned() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            AutoCloseable c = owned.get(i);
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing {} failed", c, e);
            }
        }
    }

    /** {@link #stop(Duration)} with the configured drain timeout (default 30 s). */
    @Override
    public void close() {
        stop(drainTimeout);
    }

    private void shutdownServers() {
        for (Listener l : new Listener[]{server, adminServer}) {
            if (l != null) {
                l.stopAccepting();
                try {
                    // closing must happen on the IO threads that own the connections
                    l.closeConnections();
                } catch (RuntimeException e) {
                    log.debug("closing connections failed", e);
                }
            }
        }
        if (worker != null) {
            worker.shutdown();
            try {
                if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
                    worker.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                worker.shutdownNow();
            }
        }
    }

    /** Builds a {@link Gateway}. Not thread-safe. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = 8000;
        private Integer adminPort;
        private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private int workerThreads = 16;
        private Duration drainTimeout = Duration.ofSeconds(30);
        private String healthPath = "/health";
        private String readyPath = "/ready";
        private Limits limits = Limits.defaults();
        private ProxyOptions proxy = ProxyOptions.defaults();
        private final List<Upstream> upstreams = new ArrayList<>();
        private final List<Route> routes = new ArrayList<>();
        private final List<Middleware> middleware = new ArrayList<>();
        private final List<AutoCloseable> closeables = new ArrayList<>();
        private final List<GatewayListener> listeners = new ArrayList<>();
        private final Map<String, HttpHandler> adminRoutes = new LinkedHashMap<>();
        private Versioning versioning;
        private Tls tls;
        private boolean http2Cleartext;

        private Builder() {
        }

        /** Listen address. Default 0.0.0.0. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** Listen port; 0 picks a free one ({@link Gateway#port()} tells which). Default 8000. */
        public Builder port(int port) {
            this.port = Checks.range("port", port, 0, 65535);
            return this;
        }

        /** A separate port for health, readiness and the {@link #adminRoute admin routes}; they then leave the main port. */
        public Builder adminPort(int port) {
            this.adminPort = Checks.range("adminPort", port, 0, 65535);
            return this;
        }

        /** XNIO IO threads. Default: the number of cores, at least 2. */
        public Builder ioThreads(int threads) {
            this.ioThreads = Checks.range("ioThreads", threads, 1, 1024);
            return this;
        }

        /** Threads for blocking work (readiness probes, blocking middleware). Default 16. */
        public Builder workerThreads(int threads) {
            this.workerThreads = Checks.range("workerThreads", threads, 1, 4096);
            return this;
        }

        /** How long {@link Gateway#close()} waits for in-flight requests. Default 30 s. */
        public Builder drainTimeout(Duration drain) {
            Objects.requireNonNull(drain, "drain");
            if (drain.isNegative()) {
                throw new IllegalArgumentException("drainTimeout: " + drain + " (expected: >= 0)");
            }
            this.drainTimeout = drain;
            return this;
        }

        /** Liveness path. Default {@code /health}. */
        public Builder healthPath(String path) {
            this.healthPath = checkPath("healthPath", path);
            return this;
        }

        /** Readiness path. Default {@code /ready}. */
        public Builder readyPath(String path) {
            this.readyPath = checkPath("readyPath", path);
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        public Builder limits(Limits.Builder limits) {
            return limits(limits.build());
        }

        public Builder proxy(ProxyOptions proxy) {
            this.proxy = Objects.requireNonNull(proxy, "proxy");
            return this;
        }

        public Builder proxy(ProxyOptions.Builder proxy) {
            return proxy(proxy.build());
        }

        public Builder upstream(Upstream upstream) {
            upstreams.add(Objects.requireNonNull(upstream, "upstream"));
            return this;
        }

        public Builder upstream(Upstream.Builder upstream) {
            return upstream(upstream.build());
        }

        public Builder route(Route route) {
            routes.add(Objects.requireNonNull(route, "route"));
            return this;
        }

        public Builder route(Route.Builder route) {
            return route(route.build());
        }

        /**
         * API versioning for every route: how the version is read (path, header, media type), the known
         * versions and the default. Routes pick versions with {@code Route.Builder.version(...)}. Default: none.
         */
        public Builder versioning(Versioning versioning) {
            this.versioning = Objects.requireNonNull(versioning, "versioning");
            return this;
        }

        public Builder versioning(Versioning.Builder versioning) {
            return versioning(versioning.build());
        }

        /**
         * Adds global middleware, run for every routed request; the first added is the outermost. A
         * middleware that is {@link AutoCloseable} (route middleware too) is closed when the gateway
         * stops, once even if used in several places, so do not share one between gateways.
         */
        public Builder use(Middleware middleware) {
            this.middleware.add(Objects.requireNonNull(middleware, "middleware"));
            return this;
        }

        /**
         * Serves the main port over TLS (the admin port stays cleartext), with HTTP/2 offered through
         * ALPN unless the spec turns it off. Default: cleartext. TLS applies to the gateway's own
         * listener, not to {@link Gateway#handler()} mounted in another server.
         */
        public Builder tls(Tls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** Like {@link #tls(Tls)}; builds the spec, reading its files. */
        public Builder tls(Tls.Builder tls) {
            return tls(tls.build());
        }

        /**
         * Whether the cleartext main port also speaks HTTP/2 (h2c): to clients that send
         * {@code Upgrade: h2c} and to clients that open with the HTTP/2 preface (prior knowledge).
         * HTTP/1.1 stays as it is. Ignored with TLS, which offers HTTP/2 through ALPN. Default false.
         */
        public Builder http2Cleartext(boolean enabled) {
            this.http2Cleartext = enabled;
            return this;
        }

        /** Adds an event listener; one that is {@link AutoCloseable} is closed when the gateway stops. */
        public Builder listener(GatewayListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Hands {@code resource} to the gateway: it is closed when the gateway stops, after its
         * connections, closeable listeners and middleware. A failing close is logged.
         */
        public Builder onClose(AutoCloseable resource) {
            closeables.add(Objects.requireNonNull(resource, "resource"));
            return this;
        }

        /**
         * Serves {@code handler} at exactly {@code path} beside {@code /health} and {@code /ready}: on the
         * admin port when one is configured, else on the main port ahead of routing and middleware (a
         * Prometheus scrape endpoint, for example). The handler runs on the IO thread; blocking work must
         * be dispatched to a worker.
         *
         * @throws IllegalArgumentException if the path is not absolute or is already taken
         */
        public Builder adminRoute(String path, HttpHandler handler) {
            checkPath("adminRoute", path);
            Objects.requireNonNull(handler, "handler");
            if (adminRoutes.containsKey(path)) {
                throw new IllegalArgumentException("adminRoute: '" + path + "' is defined twice (expected: one handler per path)");
            }
            adminRoutes.put(path, handler);
            return this;
        }

        /**
         * Validates everything and compiles the handler chain.
         *
         * @throws IllegalStateException naming the first inconsistency (unknown upstream, duplicates,
         *                               port clash)
         */
        public Gateway build() {
            Map<String, Upstream> byName = new LinkedHashMap<>();
            for (Upstream u : upstreams) {
                if (byName.put(u.name(), u) != null) {
                    throw new IllegalStateException("upstream '" + u.name() + "' is defined twice");
                }
            }
            for (Route r : uniqueIds()) {
                for (String v : r.versions()) {
                    if (versioning == null) {
                        throw new IllegalStateException("route " + r.id() + ": version '" + v
                                + "' but the gateway has no versioning (expected: Gateway.builder().versioning(...))");
                    }
                    if (!versioning.known().contains(v)) {
                        throw new IllegalStateException("route " + r.id() + ": version '" + v + "' is not known (known: "
                                + String.join(", ", versioning.known()) + ")");
                    }
                }
                checkUpstream(r, "upstream", r.upstream(), byName);
                if (r.split() != null) {
                    for (Split.Side side : r.split().sides()) {
                        checkUpstream(r, "split upstream", side.upstream(), byName);
                    }
                }
                if (r.mirror() != null) {
                    checkUpstream(r, "mirror upstream", r.mirror().upstream(), byName);
                }
                if (r.fallback().isPresent()) {
                    checkUpstream(r, "fallback upstream", r.fallback().get().upstream(), byName);
                }
            }
            for (Upstream u : upstreams) {
                String fallback = u.fallback().map(Fallback::upstream).orElse(null);
                if (fallback != null && !byName.containsKey(fallback)) {
                    throw new IllegalStateException("upstream '" + u.name() + "': fallback upstream '" + fallback
                            + "' is not defined (known: " + String.join(", ", new TreeSet<>(byName.keySet())) + ")");
                }
            }
            if (adminPort != null && adminPort != 0 && adminPort == port) {
                throw new IllegalStateException("adminPort: " + adminPort + " is the same as port (expected: another port)");
            }
            if (healthPath.equals(readyPath)) {
                throw new IllegalStateException("healthPath and readyPath are both " + healthPath + " (expected: different paths)");
            }
            for (String p : adminRoutes.keySet()) {
                if (p.equals(healthPath) || p.equals(readyPath)) {
                    throw new IllegalStateException("adminRoute " + p + " is also the health or readiness path (expected: another path)");
                }
            }
            return new Gateway(this);
        }

        private static void checkUpstream(Route r, String what, String name, Map<String, Upstream> byName) {
            if (name != null && !byName.containsKey(name)) {
                throw new IllegalStateException("route " + r.id() + ": " + what + " '" + name + "' is not defined (known: "
                        + (byName.isEmpty() ? "none" : String.join(", ", new TreeSet<>(byName.keySet()))) + ")");
            }
        }

        // routes without a given id that share a template become template, template#2, template#3, ...
        private List<Route> uniqueIds() {
            Map<String, Integer> defaults = new HashMap<>();
            Map<String, Route> ids = new LinkedHashMap<>();
            List<Route> out = new ArrayList<>(routes.size());
            for (Route r : routes) {
                Route named = r;
                if (!r.idGiven()) {
                    int n = defaults.merge(r.id(), 1, Integer::sum);
                    if (n > 1) {
                        named = r.withId(r.id() + "#" + n);
                    }
                }
                if (ids.put(named.id(), named) != null) {
                    throw new IllegalStateException("route " + named.id() + ": defined twice (expected: distinct ids; set .id(...))");
                }
                out.add(named);
            }
            return out;
        }

        private static String checkPath(String name, String path) {
            Objects.requireNonNull(path, name);
            if (!path.startsWith("/") || path.contains("?") || path.contains(" ")) {
                throw new IllegalArgumentException(name + ": '" + path + "' (expected: an absolute path such as /health)");
            }
            return path;
        }
    }

    @Override
    public String toString() {
        return "Gateway[" + host + ":" + (boundPort >= 0 ? boundPort : port) + " upstreams=" + upstreams.keySet() + "]";
    }

}
