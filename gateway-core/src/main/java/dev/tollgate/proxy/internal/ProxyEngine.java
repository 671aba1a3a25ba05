package dev.tollgate.proxy.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.proxy.ProxyOptions;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.UpstreamPool;
import dev.tollgate.upstream.internal.ConnectionPool;
import dev.tollgate.internal.Deadlines;
import dev.tollgate.upstream.internal.EndpointState;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.client.ClientResponse;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.AttachmentKey;
import dev.tollgate.net.TrustedProxies;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Attachable;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.Protocols;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.Transfer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelExceptionHandler;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.XnioIoThread;
import org.xnio.channels.Channels;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

import dev.tollgate.resilience.CircuitBreakerPolicy;
import dev.tollgate.resilience.Fallback;
import dev.tollgate.resilience.RetryPolicy;
import dev.tollgate.resilience.internal.Breaker;
import dev.tollgate.resilience.internal.BulkheadGate;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;
import io.undertow.server.Connectors;
import org.xnio.XnioExecutor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * The proxy engine: for each request it picks an endpoint, takes a pooled connection of the current
 * IO thread, sends the request with its body streamed, and streams the response back. It owns every
 * attempt, so timeouts, failures and connection reuse are decided here. All of a call's work runs on
 * the IO thread of its exchange.
 */
public final class ProxyEngine {

    private static final Logger log = LoggerFactory.getLogger(ProxyEngine.class);

    static final HttpString X_FORWARDED_FOR = HttpString.tryFromString("X-Forwarded-For");
    static final HttpString X_FORWARDED_PROTO = HttpString.tryFromString("X-Forwarded-Proto");
    static final HttpString X_FORWARDED_HOST = HttpString.tryFromString("X-Forwarded-Host");
    static final HttpString X_FORWARDED_PORT = HttpString.tryFromString("X-Forwarded-Port");
    static final HttpString X_REAL_IP = HttpString.tryFromString("X-Real-IP");
    static final HttpString FORWARDED = HttpString.tryFromString("Forwarded");
    static final HttpString VIA = HttpString.tryFromString("Via");

    /** Methods that may be sent again when a reused connection turns out to be dead (RFC 9110 9.2.2). */
    private static final Set<HttpString> IDEMPOTENT = Set.of(Methods.GET, Methods.HEAD, Methods.OPTIONS, Methods.TRACE,
            Methods.PUT, Methods.DELETE);

    /** The header that makes a non-idempotent request retryable (draft-ietf-httpapi-idempotency-key-header). */
    static final HttpString IDEMPOTENCY_KEY = HttpString.tryFromString("Idempotency-Key");

    /** Picks tried to find another endpoint for a retry, or one whose own breaker is not open. */
    private static final int MAX_PICKS = 4;

    /** How often a request may move on from endpoints removed under it. */
    private static final int MAX_REPICKS = 3;

    /** The safe-replay limit for a reused connection that turned out to be dead. */
    private static final int MAX_STALE_RETRIES = 2;

    private final ProxyOptions options;
    private final GatewayListener events;
    private final ConnectionPool.Settings poolSettings;
    private final String viaValue;
    /** The guards of each upstream (breaker, budget, bulkhead), shared by every route to it. */
    private final Map<String, CallPolicy.Guards> guards = new ConcurrentHashMap<>();

    public ProxyEngine(ProxyOptions options, GatewayListener events, ByteBufferPool bufferPool) {
        this.options = options;
        this.events = events;
        this.poolSettings = new ConnectionPool.Settings(options.maxConnectionsPerThread(), options.maxWaitingPerThread(),
                options.acquireTimeout(), options.connectTimeout(), options.idleTimeout(), options.responseTimeout(),
                OptionMap.create(org.xnio.Options.TCP_NODELAY, true), bufferPool);
        this.viaValue = options.via().isEmpty() ? null : "1.1 " + options.via();
    }

    /** The terminal handler of calls to {@code upstream} with its own policies (no route overrides). */
    public HttpHandler handlerFor(UpstreamPool upstream) {
        return handlerFor(upstream, null, name -> null);
    }

    /**
     * The terminal handler of {@code route}'s calls to {@code upstream}: the upstream's breaker, retries,
     * bulkhead and fallback, with the route's overrides. Called while the gateway is built.
     *
     * @param route null for no overrides
     * @param pools finds the upstream of an upstream fallback by name
     */
    public HttpHandler handlerFor(UpstreamPool upstream, Route route, Function<String, UpstreamPool> pools) {
        CallPolicy policy = policy(upstream, route, pools, true);
        return exchange -> {
            XnioIoThread io = exchange.getIoThread();
            // the call runs once the handler chain has returned, always on the exchange's IO thread
            exchange.dispatch(exchange.isInIoThread() ? SameThreadExecutor.INSTANCE : io,
                    () -> new Call(exchange, policy).start());
        };
    }

    private CallPolicy policy(UpstreamPool upstream, Route route, Function<String, UpstreamPool> pools, boolean withFallback) {
        Upstream spec = upstream.spec();
        CallPolicy.Guards g = guards.computeIfAbsent(upstream.name(), n -> new CallPolicy.Guards(
                spec.circuitBreaker().enabled() ? new Breaker(spec.circuitBreaker(), n, null, events) : null,
                spec.endpointCircuitBreaker().enabled()
                        ? new CallPolicy.EndpointBreakers(e -> new Breaker(spec.endpointCircuitBreaker(), n, e, events)) : null,
                spec.bulkhead().map(BulkheadGate::new).orElse(null)));
        Breaker breaker = g.breaker;
        RetryPolicy retry = spec.retry();
        Fallback fallback = spec.fallback().orElse(null);
        long perTry = options.responseTimeout().toNanos();
        long deadline = 0;
        if (route != null) {
            if (route.circuitBreaker().isPresent()) {
                CircuitBreakerPolicy own = route.circuitBreaker().get();
                breaker = own.enabled() ? new Breaker(own, upstream.name(), null, events) : null;
            }
            retry = route.retry().orElse(retry);
            fallback = route.fallback().orElse(fallback);
            perTry = route.perTryTimeout().map(Duration::toNanos).orElse(perTry);
            deadline = route.deadline().map(Duration::toNanos).orElse(0L);
        }
        if (!withFallback) {
            fallback = null;
        }
        CallPolicy fallbackPolicy = null;
        if (fallback != null && fallback.kind() == Fallback.Kind.UPSTREAM) {
            UpstreamPool other = pools.apply(fallback.upstream());
            if (other == null) {
                throw new IllegalStateException("upstream '" + upstream.name() + "': fallback upstream '" + fallback.upstream()
                        + "' is not defined");
            }
            fallbackPolicy = policy(other, null, pools, false);
        }
        return new CallPolicy(upstream, g, breaker, retry, fallback, fallbackPolicy, perTry, deadline);
    }

    /** The breaker of the whole upstream, or null when it has none; for tests and diagnostics. */
    public Breaker breaker(String upstream) {
        CallPolicy.Guards g = guards.get(upstream);
        return g == null ? null : g.breaker;
    }

    /** The marker every mirrored copy carries, so a shadow can tell copies from real traffic. */
    public static final HttpString X_MIRRORED = HttpString.tryFromString("X-Mirrored");

    /**
     * Sends a copy of a body-less request to {@code shadow} and discards the answer. The copy is built
     * from the exchange now, before the primary call proceeds; from then on the exchange is never
     * touched again, so the shadow's latency or failure cannot reach the client. Call on the thread
     * that runs the route's terminal handler; the send itself runs on the exchange's IO thread, and
     * {@code done} runs exactly once on that IO thread when the copy ends (answered, failed, timed out).
     *
     * @param exchange a request without a body
     */
    public void mirror(HttpServerExchange exchange, UpstreamPool shadow, Runnable done) {
        mirror(exchange, shadow, done, null);
    }

    /**
     * Like {@link #mirror(HttpServerExchange, UpstreamPool, Runnable)}, with the request's whole body
     * (kept for replay) sent with the copy.
     *
     * @param body the body, or null for none; read from its position, never changed
     */
    void mirror(HttpServerExchange exchange, UpstreamPool shadow, Runnable done, ByteBuffer body) {
        EndpointState target = shadow.pick(exchange);
        if (target == null) {
            done.run();
            return;
        }
        ClientRequest request = buildRequest(exchange, target.endpoint(), false);
        request.getRequestHeaders().remove(Headers.TRANSFER_ENCODING);
        if (body != null) {
            request.getRequestHeaders().put(Headers.CONTENT_LENGTH, body.remaining());
        } else {
            request.getRequestHeaders().remove(Headers.CONTENT_LENGTH);
        }
        request.getRequestHeaders().put(X_MIRRORED, "true");
        MirrorCall call = new MirrorCall(target, exchange.getIoThread(), request, body == null ? null : body.duplicate(), done);
        if (exchange.isInIoThread()) {
            call.start();
        } else {
            exchange.getIoThread().execute(call::start);
        }
    }

    /** One mirrored copy: a connection from the shadow's pool, the request, a drained response. IO thread only. */
    private final class MirrorCall implements ConnectionPool.Waiter {
        private final EndpointState endpoint;
        private final ConnectionPool pool;
        private final ClientRequest request;
        private final ByteBuffer body;
        private final Runnable done;
        private ClientConnection connection;
        private Deadlines.Entry timer;
        private boolean requestSent;
        private boolean finished;

        MirrorCall(EndpointState endpoint, XnioIoThread io, ClientRequest request, ByteBuffer body, Runnable done) {
            this.endpoint = endpoint;
            this.pool = endpoint.pool(io, poolSettings);
            this.request = request;
            this.body = body;
            this.done = done;
        }

        void start() {
            endpoint.inFlight().incrementAndGet();
            pool.acquire(this);
        }

        @Override
        public boolean wanted() {
            return !finished;
        }

        @Override
        public void failed(ConnectionPool.Failure failure, IOException cause) {
            log.debug("mirror to {} got no connection ({}): {}", endpoint, failure, cause.getMessage());
            finish(false);
        }

        @Override
        public void connected(ClientConnection c, boolean reused) {
            this.connection = c;
            if (finished) {
                finish(false);
                return;
            }
            // bounds the whole copy, body included: a shadow that hangs or drips frees its slot in time
            timer = pool.responseDeadlines().add(() -> {
                timer = null;
                log.debug("mirror to {} timed out", endpoint);
                finish(false);
            });
            c.sendRequest(request, new ClientCallback<>() {
                @Override
                public void completed(ClientExchange result) {
                    onStarted(result);
                }

                @Override
                public void failed(IOException e) {
                    log.debug("mirror to {} failed: {}", endpoint, e.toString());
                    finish(false);
                }
            });
        }

        private void onStarted(ClientExchange result) {
            if (finished) {
                return;
            }
            result.setResponseListener(new ClientCallback<>() {
                @Override
                public void completed(ClientExchange r) {
                    drain(r.getResponseChannel());
                }

                @Override
                public void failed(IOException e) {
                    log.debug("mirror to {} failed: {}", endpoint, e.toString());
                    finish(false);
                }
            });
            StreamSinkChannel sink = result.getRequestChannel();
            if (body != null) {
                RequestBody.write(sink, body, () -> endRequest(sink), e -> finish(false));
            } else {
                endRequest(sink);
            }
        }

        private void endRequest(StreamSinkChannel sink) {
            if (finished) {
                return;
            }
            try {
                sink.shutdownWrites();
                requestSent = true;
                if (!sink.flush()) {
                    sink.getWriteSetter().set(ChannelListeners.flushingChannelListener(
                            ch -> ch.suspendWrites(),
                            (ChannelExceptionHandler<StreamSinkChannel>) (ch, e) -> finish(false)));
                    sink.resumeWrites();
                }
            } catch (IOException e) {
                finish(false);
            }
        }

        private void drain(StreamSourceChannel body) {
            if (finished) {
                return;
            }
            ChannelListener<StreamSourceChannel> reader = new ChannelListener<>() {
                @Override
                public void handleEvent(StreamSourceChannel ch) {
                    if (finished) {
                        return;
                    }
                    try {
                        long n;
                        while ((n = Channels.drain(ch, Long.MAX_VALUE)) > 0) {
                            // discard
                        }
                        if (n < 0) {
                            ch.suspendReads();
                            ch.getReadSetter().set(null);
                            finish(true);
                        } else {
                            ch.resumeReads();
                        }
                    } catch (IOException e) {
                        finish(false);
                    }
                }
            };
            body.getReadSetter().set(reader);
            reader.handleEvent(body);
        }

        private void finish(boolean clean) {
            if (finished && connection == null) {
                return;
            }
            boolean first = !finished;
            finished = true;
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
            ClientConnection c = connection;
            if (c != null) {
                connection = null;
                pool.release(c, clean && requestSent);
            }
            if (first) {
                endpoint.inFlight().decrementAndGet();
                done.run();
            }
        }
    }

    /** Closes the pools of one endpoint (removed, or the gateway stops), each on its own IO thread. */
    public static void closePools(EndpointState state, boolean idleOnly) {
        for (ConnectionPool pool : state.pools()) {
            try {
                pool.thread().execute(idleOnly ? pool::closeIdle : pool::close);
            } catch (RuntimeException e) {
                // the worker is already shutting down and closes the channels itself
                log.debug("could not schedule pool close for {}", state, e);
            }
        }
    }

    /**
     * One proxied request: possibly several attempts (retries, a dead pooled connection, endpoints
     * removed under it), one relayed response, a fallback or a problem. IO thread of the exchange.
     */
    private final class Call implements ConnectionPool.Waiter, ExchangeCompletionListener {
        private final HttpServerExchange exchange;
        private final CallPolicy policy;
        private final UpstreamPool upstream;
        private EndpointState endpoint;
        private ConnectionPool pool;
        private ClientConnection connection;
        private boolean reused;
        /** The attempt's number in events; moves on before a failed attempt's connection is closed. */
        private int attempt;
        /** Attempts counted against the retry policy's maximum. */
        private int tries;
        private int staleRetries;
        private int repicks;
        private long attemptStarted;
        private boolean attemptActive;
        private Deadlines.Entry responseTimer;
        private Deadlines.Entry deadlineTimer;
        private XnioExecutor.Key backoffTimer;
        private XnioExecutor.Key queueTimer;
        private long deadlineAt;
        private boolean responseStarted;
        private boolean requestSent;
        private boolean responseDone;
        private boolean finished;
        private boolean connectionBroken;
        /** Whether the method may be sent again after it may have reached the upstream. */
        private boolean methodRetryable;
        /** The body kept for replay, or null. */
        private RequestBody body;
        /** Whether the client's body was streamed (not kept): then the request cannot be sent again. */
        private boolean bodyStreamed;
        private int permit;
        private Breaker endpointBreaker;
        private int endpointPermit;
        private boolean endpointDenied;
        private boolean retryHeld;
        private boolean counted;
        private boolean bulkheadEntered;

        Call(HttpServerExchange exchange, CallPolicy policy) {
            this.exchange = exchange;
            this.policy = policy;
            this.upstream = policy.upstream;
        }

        void start() {
            exchange.addExchangeCompleteListener(this);
            policy.guards.budget.requestStarted();
            counted = true;
            BulkheadGate gate = policy.guards.bulkhead;
            if (gate != null) {
                switch (gate.enter(this::queued)) {
                    case ENTERED -> bulkheadEntered = true;
                    case QUEUED -> {
                        return;
                    }
                    case REJECTED -> {
                        rejectBulkhead();
                        return;
                    }
                }
            }
            proceed();
        }

        /** Queued in the bulkhead: resumed on this IO thread, or refused when the wait is over. */
        private BulkheadGate.Waiter queued() {
            XnioIoThread io = exchange.getIoThread();
            BulkheadGate.Waiter waiter = new BulkheadGate.Waiter() {
                @Override
                protected void resume() {
                    io.execute(Call.this::leaveQueue);
                }
            };
            queueTimer = io.executeAfter(() -> {
                queueTimer = null;
                if (waiter.claim()) {
                    policy.guards.bulkhead.abandoned();
                    rejectBulkhead();
                }
            }, policy.guards.bulkhead.spec().maxWait().toMillis(), TimeUnit.MILLISECONDS);
            return waiter;
        }

        private void leaveQueue() {
            if (queueTimer != null) {
                queueTimer.remove();
                queueTimer = null;
            }
            if (finished || exchange.isComplete()) {
                // the client left while queued: its completion did not hold the place, so give it back here
                policy.guards.bulkhead.exit();
                return;
            }
            bulkheadEntered = true;
            proceed();
        }

        private void rejectBulkhead() {
            if (finished || exchange.isComplete()) {
                return;
            }
            finished = true;
            ProblemResponder.send(exchange, policy.bulkheadProblem, policy.bulkheadHeaders);
        }

        private void proceed() {
            if (policy.deadlineNanos > 0) {
                deadlineAt = System.nanoTime() + policy.deadlineNanos;
                deadlineTimer = policy.deadlines(exchange.getIoThread()).add(this::onDeadline);
            }
            RetryPolicy retry = policy.retry;
            HttpString method = exchange.getRequestMethod();
            methodRetryable = (method != null && IDEMPOTENT.contains(method)) || retry.retryNonIdempotent()
                    || exchange.getRequestHeaders().contains(IDEMPOTENCY_KEY);
            body = exchange.getAttachment(RequestBody.KEY);
            if (body == null && !exchange.isRequestComplete() && wantsReplay()
                    && RequestBody.fits(exchange, retry.maxReplayBodyBytes())) {
                RequestBody.read(exchange, retry.maxReplayBodyBytes(), new RequestBody.Callback() {
                    @Override
                    public void done(RequestBody b) {
                        body = b;
                        firstAttempt();
                    }

                    @Override
                    public void failed(IOException e) {
                        onClientBodyFailure(e);
                    }
                });
                return;
            }
            firstAttempt();
        }

        /** A body is worth keeping when a retry of this method, or a fallback upstream, could send it again. */
        private boolean wantsReplay() {
            return (methodRetryable && policy.retry.maxAttempts() > 1)
                    || (policy.fallback != null && policy.fallback.kind() == Fallback.Kind.UPSTREAM);
        }

        private void firstAttempt() {
            if (finished) {
                return;
            }
            attempt = 1;
            beginAttempt(true);
        }

        /** Starts attempt number {@link #attempt}: a breaker permit, an endpoint (another one on a retry), a connection. */
        private void beginAttempt(boolean counts) {
            backoffTimer = null;
            if (finished) {
                return;
            }
            if (!wanted()) {
                finished = true;
                releaseRetryPlace();
                return;
            }
            if (counts) {
                tries++;
            }
            Breaker breaker = policy.breaker;
            if (breaker != null) {
                permit = breaker.tryAcquire();
                if (permit == Breaker.DENIED) {
                    circuitOpen();
                    return;
                }
            }
            EndpointState next = pickEndpoint();
            if (next == null) {
                recordBreakers(AttemptOutcome.NO_ENDPOINT, 0);
                releaseRetryPlace();
                if (endpointDenied) {
                    circuitOpen();
                    return;
                }
                events.attemptCompleted(exchange, upstream.name(), null, attempt, AttemptOutcome.NO_ENDPOINT, 0, 0);
                finished = true;
                cancelTimers();
                // the last endpoint may have turned unavailable after the health gate let the request in
                ProblemResponder.send(exchange, upstream.noneAvailable()
                        ? Problem.NO_HEALTHY_ENDPOINT.withDetail("no endpoint of upstream '" + upstream.name() + "' is healthy")
                        : Problem.UNAVAILABLE.withDetail("upstream '" + upstream.name() + "' has no endpoints"));
                return;
            }
            moveTo(next);
            startAttempt();
        }

        /**
         * The endpoint for this attempt: the balancer's pick, except that a retry avoids the endpoint that
         * just failed where another one exists, and an endpoint whose own breaker is open is skipped.
         */
        private EndpointState pickEndpoint() {
            EndpointState avoid = endpoint;
            EndpointState same = null;
            endpointDenied = false;
            for (int i = 0; i < MAX_PICKS; i++) {
                EndpointState s = upstream.pick(exchange);
                if (s == null) {
                    break;
                }
                if (s == avoid) {
                    same = s;
                    continue;
                }
                if (acquireEndpoint(s)) {
                    return s;
                }
            }
            return same != null && !same.removed() && acquireEndpoint(same) ? same : null;
        }

        private boolean acquireEndpoint(EndpointState s) {
            CallPolicy.EndpointBreakers breakers = policy.guards.endpointBreakers;
            if (breakers == null) {
                return true;
            }
            Breaker b = breakers.of(s.endpoint());
            int p = b.tryAcquire();
            if (p == Breaker.DENIED) {
                endpointDenied = true;
                return false;
            }
            endpointBreaker = b;
            endpointPermit = p;
            return true;
        }

        private void moveTo(EndpointState next) {
            if (endpoint != null) {
                endpoint.inFlight().decrementAndGet();
            }
            endpoint = next;
            next.inFlight().incrementAndGet();
            pool = next.pool(exchange.getIoThread(), poolSettings);
        }

        /** The breaker is open (the upstream's, or every endpoint's): the fallback, else 503 circuit-open. */
        private void circuitOpen() {
            if (useFallback()) {
                return;
            }
            finished = true;
            cancelTimers();
            releaseRetryPlace();
            Duration left = policy.breaker != null ? policy.breaker.remainingOpen() : Duration.ZERO;
            long seconds = Math.max(1, (left.toMillis() + 999) / 1000);
            ProblemResponder.send(exchange, policy.circuitOpenProblem, Map.of("Retry-After", Long.toString(seconds)));
        }

        /**
         * The endpoint was removed between the pick and the connection: no byte went anywhere, so the
         * request takes another endpoint of the current set. Bounded, as the set could keep changing under it.
         */
        private void repick() {
            attemptActive = false;
            events.attemptCompleted(exchange, upstream.name(), endpoint.endpoint(), attempt, AttemptOutcome.NO_ENDPOINT, 0,
                    System.nanoTime() - attemptStarted);
            recordBreakers(AttemptOutcome.NO_ENDPOINT, 0);
            if (++repicks > MAX_REPICKS) {
                finished = true;
                cancelTimers();
                ProblemResponder.send(exchange, Problem.UNAVAILABLE.withDetail("upstream '" + upstream.name()
                        + "' has no endpoint that stays"));
                return;
            }
            attempt++;
            beginAttempt(false);
        }

        /** Starts attempt number {@link #attempt} on the chosen endpoint. */
        private void startAttempt() {
            // the state of the connection belongs to the attempt; the previous one's was closed
            connectionBroken = false;
            requestSent = false;
            responseDone = false;
            attemptActive = true;
            attemptStarted = System.nanoTime();
            events.attemptStarted(exchange, upstream.name(), endpoint.endpoint(), attempt);
            pool.acquire(this);
        }

        /** One attempt ended: the event, the breakers, the retry budget. */
        private void attemptEnded(AttemptOutcome outcome, int status) {
            attemptActive = false;
            events.attemptCompleted(exchange, upstream.name(), endpoint.endpoint(), attempt, outcome, status,
                    System.nanoTime() - attemptStarted);
            recordBreakers(outcome, status);
            releaseRetryPlace();
        }

        private void recordBreakers(AttemptOutcome outcome, int status) {
            if (permit != 0) {
                policy.breaker.record(outcome, status, permit);
                permit = 0;
            }
            if (endpointBreaker != null) {
                endpointBreaker.record(outcome, status, endpointPermit);
                endpointBreaker = null;
                endpointPermit = 0;
            }
        }

        private void releaseRetryPlace() {
            if (retryHeld) {
                retryHeld = false;
                policy.guards.budget.retryEnded();
            }
        }

        @Override
        public boolean wanted() {
            return !finished && !exchange.isComplete() && exchange.getConnection().isOpen();
        }

        @Override
        public void failed(ConnectionPool.Failure failure, IOException cause) {
            log.debug("attempt to {} failed ({}): {}", endpoint, failure, cause.getMessage());
            switch (failure) {
                case CONNECT_TIMEOUT -> onAttemptFailed(AttemptOutcome.CONNECT_TIMEOUT,
                        Problem.UPSTREAM_TIMEOUT.withDetail("connecting to upstream '" + upstream.name() + "' timed out"));
                case CONNECT_FAILED -> onAttemptFailed(AttemptOutcome.CONNECT_FAILED,
                        Problem.UPSTREAM_UNREACHABLE.withDetail("could not connect to upstream '" + upstream.name() + "'"));
                case QUEUE_FULL, QUEUE_TIMEOUT -> fail(AttemptOutcome.POOL_EXHAUSTED,
                        Problem.UNAVAILABLE.withDetail("no connection to upstream '" + upstream.name() + "' was free in time"));
                case CLOSED -> fail(AttemptOutcome.NO_ENDPOINT,
                        Problem.UNAVAILABLE.withDetail("upstream '" + upstream.name() + "' is shutting down"));
                case REMOVED -> {
                    if (!finished) {
                        repick();
                    }
                }
            }
        }

        @Override
        public void connected(ClientConnection connection, boolean reused) {
            this.connection = connection;
            this.reused = reused;
            if (!wanted()) {
                releaseConnection();
                return;
            }
            ClientRequest request = buildRequest();
            events.upstreamRequest(exchange, upstream.name(), endpoint.endpoint(), attempt, request.getRequestHeaders());
            responseTimer = policy.perTry(exchange.getIoThread()).add(this::onResponseTimeout);
            // callbacks of a connection this call has given up carry an old attempt number and are ignored
            int current = attempt;
            connection.sendRequest(request, new ClientCallback<>() {
                @Override
                public void completed(ClientExchange result) {
                    onRequestStarted(result, current);
                }

                @Override
                public void failed(IOException e) {
                    onUpstreamFailure(e, current);
                }
            });
        }

        private void onRequestStarted(ClientExchange result, int current) {
            if (finished || current != attempt) {
                return;
            }
            result.setResponseListener(new ClientCallback<>() {
                @Override
                public void completed(ClientExchange r) {
                    if (current == attempt) {
                        onResponse(r);
                    }
                }

                @Override
                public void failed(IOException e) {
                    onUpstreamFailure(e, current);
                }
            });
            ChannelListener<StreamSinkChannel> done = new FinishSink(exchange, result, true);
            StreamSinkChannel sink = result.getRequestChannel();
            if (body != null) {
                StreamSourceChannel rest = body.complete() ? null : body.takeRest();
                if (!body.complete()) {
                    bodyStreamed = true;
                }
                RequestBody.write(sink, body.bytes(), () -> {
                    if (finished || current != attempt) {
                        return;
                    }
                    if (rest == null) {
                        done.handleEvent(sink);
                    } else {
                        transferBody(rest, sink, done, current);
                    }
                }, e -> onUpstreamFailure(e, current));
            } else if (exchange.isRequestComplete()) {
                done.handleEvent(sink);
            } else {
                StreamSourceChannel channel = exchange.getRequestChannel();
                if (channel == null) {
                    // someone before us consumed the body channel; nothing left to send
                    done.handleEvent(sink);
                    return;
                }
                bodyStreamed = true;
                transferBody(channel, sink, done, current);
            }
        }

        private void transferBody(StreamSourceChannel from, StreamSinkChannel sink, ChannelListener<StreamSinkChannel> done,
                                  int current) {
            Transfer.initiateTransfer(from, sink, ChannelListeners.closingChannelListener(), done,
                    (ChannelExceptionHandler<StreamSourceChannel>) (ch, e) -> onClientBodyFailure(e),
                    (ChannelExceptionHandler<StreamSinkChannel>) (ch, e) -> onUpstreamFailure(e, current),
                    exchange.getConnection().getByteBufferPool());
        }

        private void onResponse(ClientExchange result) {
            if (finished) {
                return;
            }
            cancelResponseTimer();
            ClientResponse response = result.getResponse();
            int status = response.getResponseCode();
            if (policy.retry.retriesStatus(status)) {
                long retryAfter = retryAfterNanos(response.getResponseHeaders());
                long delay = retryAfter == Long.MAX_VALUE ? -1 : retryDelay(false, retryAfter);
                if (delay >= 0) {
                    discardAttempt(AttemptOutcome.RESPONSE, status);
                    scheduleRetry(delay);
                    return;
                }
            }
            if (policy.fallback != null && policy.breakerFailure(status) && fallbackUsable()) {
                discardAttempt(AttemptOutcome.RESPONSE, status);
                useFallback();
                return;
            }
            cancelDeadline();
            HeaderMap in = response.getResponseHeaders();
            HeaderMap out = exchange.getResponseHeaders();
            Set<HttpString> connectionOptions = HopByHop.connectionOptions(in);
            for (HeaderValues values : in) {
                HttpString name = values.getHeaderName();
                if (!HopByHop.isHopByHop(name, connectionOptions)) {
                    out.putAll(name, values);
                }
            }
            if (viaValue != null) {
                out.add(VIA, viaValue);
            }
            exchange.setStatusCode(status);
            responseStarted = true;
            attemptEnded(AttemptOutcome.RESPONSE, status);
            Transfer.initiateTransfer(result.getResponseChannel(), exchange.getResponseChannel(),
                    ChannelListeners.closingChannelListener(), new FinishSink(result, exchange, false),
                    (ChannelExceptionHandler<StreamSourceChannel>) (ch, e) -> onResponseBodyFailure(e, true),
                    (ChannelExceptionHandler<StreamSinkChannel>) (ch, e) -> onResponseBodyFailure(e, false),
                    exchange.getConnection().getByteBufferPool());
        }

        /** The upstream's Retry-After in nanoseconds: -1 when absent or a date, MAX_VALUE when above the cap. */
        private long retryAfterNanos(HeaderMap headers) {
            String v = headers.getFirst(Headers.RETRY_AFTER);
            if (v == null) {
                return -1;
            }
            long seconds;
            try {
                seconds = Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return -1;
            }
            if (seconds < 0) {
                return -1;
            }
            long cap = policy.retry.retryAfterCap().toNanos();
            return seconds > cap / 1_000_000_000L ? Long.MAX_VALUE : seconds * 1_000_000_000L;
        }

        /** Ends the current attempt without relaying anything; its connection closes. */
        private void discardAttempt(AttemptOutcome outcome, int status) {
            connectionBroken = true;
            cancelResponseTimer();
            attemptEnded(outcome, status);
            // the number moves on before the connection is closed: closing fails its exchange right here,
            // and that report must be seen as stale
            attempt++;
            releaseConnection();
        }

        /**
         * The delay before retrying the attempt that just failed, or -1 when it is not retried. A retry
         * takes a place in the upstream's budget, given back when its attempt ends.
         *
         * @param nothingSent whether the request never left (connect failure): then any method may go again
         */
        private long retryDelay(boolean nothingSent, long retryAfterNanos) {
            RetryPolicy r = policy.retry;
            if (finished || tries >= r.maxAttempts() || responseStarted || exchange.isResponseStarted() || !wanted()) {
                return -1;
            }
            if (bodyStreamed || (!nothingSent && !methodRetryable)) {
                return -1;
            }
            long delay = retryAfterNanos >= 0 ? retryAfterNanos : r.backoffNanos(tries);
            if (deadlineAt != 0 && System.nanoTime() + delay - deadlineAt >= 0) {
                return -1;
            }
            if (!policy.guards.budget.tryRetry(r.budgetPercent(), r.budgetMinimum())) {
                log.debug("retry budget of upstream '{}' exhausted", upstream.name());
                return -1;
            }
            return delay;
        }

        private void scheduleRetry(long delayNanos) {
            retryHeld = true;
            if (delayNanos <= 0) {
                exchange.getIoThread().execute(() -> beginAttempt(true));
            } else {
                backoffTimer = exchange.getIoThread().executeAfter(() -> beginAttempt(true),
                        Math.max(1, (delayNanos + 999_999) / 1_000_000), TimeUnit.MILLISECONDS);
            }
        }

        /** A failed attempt (no response): retried, or the fallback, or the problem. */
        private void onAttemptFailed(AttemptOutcome outcome, Problem problem) {
            if (finished) {
                return;
            }
            discardAttempt(outcome, 0);
            if (policy.retry.retryOutcomes().contains(outcome)) {
                boolean nothingSent = outcome == AttemptOutcome.CONNECT_FAILED || outcome == AttemptOutcome.CONNECT_TIMEOUT;
                long delay = retryDelay(nothingSent, -1);
                if (delay >= 0) {
                    scheduleRetry(delay);
                    return;
                }
            }
            if (useFallback()) {
                return;
            }
            fail(outcome, problem);
        }

        private boolean fallbackUsable() {
            Fallback f = policy.fallback;
            return f != null && !exchange.isResponseStarted() && exchange.getConnection().isOpen()
                    && (f.kind() != Fallback.Kind.UPSTREAM || !bodyStreamed);
        }

        /** Serves the fallback if there is one that can still answer; then the call is over. */
        private boolean useFallback() {
            if (finished || !fallbackUsable()) {
                return false;
            }
            finished = true;
            cancelTimers();
            releaseRetryPlace();
            Fallback f = policy.fallback;
            switch (f.kind()) {
                case STATIC -> {
                    exchange.setStatusCode(f.status());
                    HeaderMap out = exchange.getResponseHeaders();
                    for (int i = 0; i < policy.fallbackHeaderNames.length; i++) {
                        out.put(policy.fallbackHeaderNames[i], policy.fallbackHeaderValues[i]);
                    }
                    exchange.getResponseSender().send(f.body());
                }
                case HANDLER -> Connectors.executeRootHandler(f.handler(), exchange);
                case UPSTREAM -> new Call(exchange, policy.fallbackPolicy).start();
            }
            return true;
        }

        private void onDeadline() {
            deadlineTimer = null;
            if (finished || responseStarted) {
                return;
            }
            if (attemptActive) {
                discardAttempt(AttemptOutcome.RESPONSE_TIMEOUT, 0);
            }
            fail(AttemptOutcome.RESPONSE_TIMEOUT, policy.deadlineProblem);
        }

        private void onResponseTimeout() {
            responseTimer = null;
            if (finished || responseStarted) {
                return;
            }
            onAttemptFailed(AttemptOutcome.RESPONSE_TIMEOUT, policy.perTryProblem);
        }

        /** The upstream connection failed before the response headers arrived. */
        private void onUpstreamFailure(IOException e, int failedAttempt) {
            if (finished || failedAttempt != attempt) {
                return;
            }
            if (responseStarted) {
                onResponseBodyFailure(e, true);
                return;
            }
            // a pooled connection that the upstream had closed: the request most likely never reached it,
            // so an idempotent request that can be sent again goes again on another connection
            HttpString method = exchange.getRequestMethod();
            if (reused && !bodyStreamed && method != null && IDEMPOTENT.contains(method)
                    && staleRetries < MAX_STALE_RETRIES && wanted()) {
                log.debug("reused connection to {} was dead ({}), trying a fresh one", endpoint, e.toString());
                staleRetries++;
                connectionBroken = true;
                cancelResponseTimer();
                events.attemptCompleted(exchange, upstream.name(), endpoint.endpoint(), attempt,
                        AttemptOutcome.UPSTREAM_RESET, 0, System.nanoTime() - attemptStarted);
                // the number moves on before the dead connection is closed: closing it fails its exchange
                // again, right here, and that second report must be seen as stale
                attempt++;
                releaseConnection();
                startAttempt();
                return;
            }
            onAttemptFailed(AttemptOutcome.UPSTREAM_RESET, Problem.UPSTREAM_BAD_RESPONSE.withDetail("upstream '"
                    + upstream.name() + "' closed the connection before answering"));
        }

        /** Reading the client's request body failed: a broken chunked body or the client went away. */
        private void onClientBodyFailure(IOException e) {
            if (finished) {
                return;
            }
            connectionBroken = true;
            exchange.setPersistent(false);
            log.debug("client request body failed: {}", e.toString());
            if (exchange.getConnection().isOpen() && !exchange.isResponseStarted()) {
                fail(AttemptOutcome.CLIENT_ABORTED, RequestBody.problemFor(e));
            } else {
                fail(AttemptOutcome.CLIENT_ABORTED, null);
            }
        }

        /** Relaying the response body failed; the response has started, so both connections close. */
        private void onResponseBodyFailure(IOException e, boolean upstreamSide) {
            if (finished) {
                return;
            }
            log.debug("response relay failed on the {} side: {}", upstreamSide ? "upstream" : "client", e.toString());
            connectionBroken = true;
            finished = true;
            cancelResponseTimer();
            releaseConnection();
            IoUtils.safeClose(exchange.getConnection());
        }

        /** Ends the call with an error response (or just closes if {@code problem} is null). */
        private void fail(AttemptOutcome outcome, Problem problem) {
            if (finished) {
                return;
            }
            finished = true;
            cancelTimers();
            if (attemptActive) {
                attemptEnded(outcome, 0);
            }
            releaseRetryPlace();
            if (connection != null) {
                connectionBroken = true;
                releaseConnection();
            }
            if (!exchange.isRequestComplete()) {
                // part of the body may still be unread: the connection cannot carry another request
                exchange.setPersistent(false);
            }
            if (problem == null || exchange.isResponseStarted()) {
                IoUtils.safeClose(exchange.getConnection());
            } else {
                ProblemResponder.send(exchange, problem);
            }
        }

        @Override
        public void exchangeEvent(HttpServerExchange ex, NextListener next) {
            try {
                onExchangeComplete();
            } finally {
                next.proceed();
            }
        }

        private void onExchangeComplete() {
            if (endpoint != null) {
                endpoint.inFlight().decrementAndGet();
            }
            finished = true;
            cancelTimers();
            if (attemptActive) {
                // the client went away mid-attempt: no event (as before), but a probe's place comes back
                attemptActive = false;
                recordBreakers(AttemptOutcome.CLIENT_ABORTED, 0);
            }
            releaseRetryPlace();
            if (connection != null) {
                releaseConnection();
            }
            if (counted) {
                counted = false;
                policy.guards.budget.requestEnded();
            }
            if (bulkheadEntered) {
                bulkheadEntered = false;
                policy.guards.bulkhead.exit();
            }
        }

        private void releaseConnection() {
            ClientConnection c = connection;
            if (c == null) {
                return;
            }
            connection = null;
            boolean reusable = !connectionBroken && requestSent && responseDone;
            pool.release(c, reusable);
        }

        private void cancelResponseTimer() {
            if (responseTimer != null) {
                responseTimer.cancel();
                responseTimer = null;
            }
        }

        private void cancelDeadline() {
            if (deadlineTimer != null) {
                deadlineTimer.cancel();
                deadlineTimer = null;
            }
        }

        private void cancelTimers() {
            cancelResponseTimer();
            cancelDeadline();
            if (backoffTimer != null) {
                backoffTimer.remove();
                backoffTimer = null;
            }
            if (queueTimer != null) {
                queueTimer.remove();
                queueTimer = null;
            }
        }

        private ClientRequest buildRequest() {
            ClientRequest request = ProxyEngine.this.buildRequest(exchange, endpoint.endpoint(),
                    !exchange.isRequestComplete() || (body != null && !body.complete()));
            if (body != null && body.complete()) {
                // the kept body has a known length, whatever framing the client used
                HeaderMap out = request.getRequestHeaders();
                out.remove(Headers.TRANSFER_ENCODING);
                out.put(Headers.CONTENT_LENGTH, body.length());
            }
            return request;
        }

        /**
         * Ends one direction of the relay: moves trailers across, shuts the sink down and flushes it, and
         * records that the direction completed (which makes the upstream connection reusable).
         */
        private final class FinishSink implements ChannelListener<StreamSinkChannel> {
            private final Attachable source;
            private final Attachable target;
            private final boolean requestDirection;

            FinishSink(Attachable source, Attachable target, boolean requestDirection) {
                this.source = source;
                this.target = target;
                this.requestDirection = requestDirection;
            }

            @Override
            public void handleEvent(StreamSinkChannel channel) {
                // the source is at its end: for the upstream connection this direction is over, even
                // while the last bytes are still being flushed (ending the exchange may run inside flush)
                markDone();
                HeaderMap trailers = source.getAttachment(HttpAttachments.REQUEST_TRAILERS);
                if (trailers != null) {
                    target.putAttachment(HttpAttachments.RESPONSE_TRAILERS, trailers);
                }
                try {
                    channel.shutdownWrites();
                    if (channel.flush()) {
                        completed(channel);
                    } else {
                        channel.getWriteSetter().set(ChannelListeners.flushingChannelListener(this::completed,
                                (ChannelExceptionHandler<StreamSinkChannel>) (ch, e) -> IoUtils.safeClose(ch)));
                        channel.resumeWrites();
                    }
                } catch (IOException e) {
                    IoUtils.safeClose(channel);
                }
            }

            private void completed(StreamSinkChannel channel) {
                channel.suspendWrites();
                channel.getWriteSetter().set(null);
            }

            private void markDone() {
                if (requestDirection) {
                    requestSent = true;
                } else {
                    responseDone = true;
                }
            }
        }
    }

    /**
     * The request to send upstream for this exchange: method, forwarded path and query, the client's
     * headers without hop-by-hop ones, framing, Host, forwarding headers and Via. On the exchange's thread.
     *
     * @param bodyToCome whether a body without a Content-Length is still to be streamed (then chunked)
     */
    private ClientRequest buildRequest(HttpServerExchange exchange, Endpoint target, boolean bodyToCome) {
        RouteMatch match = RouteMatch.of(exchange);
        String path = match != null ? match.upstreamPath() : rawPath(exchange);
        String query = exchange.getQueryString();
        ClientRequest request = new ClientRequest()
                .setMethod(exchange.getRequestMethod())
                .setPath(query == null || query.isEmpty() ? path : path + "?" + query);
        request.setProtocol(Protocols.HTTP_1_1);
        HeaderMap in = exchange.getRequestHeaders();
        HeaderMap out = request.getRequestHeaders();
        Set<HttpString> connectionOptions = HopByHop.connectionOptions(in);
        Peer peer = Peer.of(exchange, options.trustedProxies());
        boolean trusted = peer.trusted;
        for (HeaderValues values : in) {
            HttpString name = values.getHeaderName();
            // one hash lookup decides for nearly every header: only the listed ones need a closer look
            if (SET_BY_GATEWAY.contains(name)) {
                if (!trusted || !isForwarding(name)) {
                    continue;
                }
            } else if (!connectionOptions.isEmpty() && connectionOptions.contains(name)) {
                continue;
            }
            out.putAll(name, values);
        }
        // framing is ours to choose: a known length stays fixed, anything else still to come is chunked
        String length = in.getFirst(Headers.CONTENT_LENGTH);
        if (length != null) {
            out.put(Headers.CONTENT_LENGTH, length);
        } else if (bodyToCome) {
            out.put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
        }
        String clientHost = in.getFirst(Headers.HOST);
        if (options.hostHeader() == ProxyOptions.HostHeader.PRESERVE && clientHost != null) {
            out.put(Headers.HOST, clientHost);
        } else {
            out.put(Headers.HOST, target.authority());
        }
        addForwarding(exchange, out, peer, clientHost);
        if (viaValue != null) {
            out.add(VIA, viaValue);
        }
        return request;
    }

    private void addForwarding(HttpServerExchange exchange, HeaderMap out, Peer peer, String clientHost) {
        boolean trusted = peer.trusted;
        String proto = exchange.getRequestScheme();
        String xff = trusted ? out.getFirst(X_FORWARDED_FOR) : null;
        out.put(X_FORWARDED_FOR, xff == null || xff.isBlank() ? peer.ip : xff + ", " + peer.ip);
        if (!trusted || !out.contains(X_FORWARDED_PROTO)) {
            out.put(X_FORWARDED_PROTO, proto);
        }
        if (clientHost != null && (!trusted || !out.contains(X_FORWARDED_HOST))) {
            out.put(X_FORWARDED_HOST, clientHost);
        }
        if (!trusted || !out.contains(X_FORWARDED_PORT)) {
            out.put(X_FORWARDED_PORT, peer.localPort);
        }
        StringBuilder fwd = new StringBuilder(128);
        String existing = trusted ? joined(out, FORWARDED) : null;
        if (existing != null) {
            fwd.append(existing).append(", ");
        }
        fwd.append(peer.forwardedFor);
        if (clientHost != null) {
            // Undertow's parser has already refused a Host with characters outside host[:port]
            if (clientHost.indexOf(':') >= 0) {
                fwd.append(";host=\"").append(clientHost).append('"');
            } else {
                fwd.append(";host=").append(clientHost);
            }
        }
        fwd.append(";proto=").append(proto);
        out.put(FORWARDED, fwd.toString());
    }

    /** Headers the gateway sets or frames itself; client copies are dropped (forwarding ones kept from trusted peers). */
    private static final Set<HttpString> SET_BY_GATEWAY = Set.of(
            Headers.CONNECTION, HopByHop.KEEP_ALIVE, HopByHop.PROXY_CONNECTION, HopByHop.TE, Headers.TRANSFER_ENCODING,
            Headers.UPGRADE, Headers.PROXY_AUTHORIZATION, Headers.PROXY_AUTHENTICATE,
            Headers.HOST, Headers.EXPECT, Headers.CONTENT_LENGTH,
            FORWARDED, X_FORWARDED_FOR, X_FORWARDED_PROTO, X_FORWARDED_HOST, X_FORWARDED_PORT, X_REAL_IP);

    /**
     * What the forwarding headers need to know about the client connection, worked out once per
     * connection (the peer does not change between its requests) and kept on it.
     */
    private static final class Peer {
        private static final AttachmentKey<Peer> KEY = AttachmentKey.create(Peer.class);
        final String ip;
        final String forwardedFor;
        final String localPort;
        final boolean trusted;

        private Peer(InetSocketAddress peer, InetSocketAddress local, TrustedProxies trustedProxies) {
            this.ip = peer == null ? "unknown" : peer.getAddress().getHostAddress();
            this.forwardedFor = peer != null && peer.getAddress() instanceof Inet6Address ? "for=\"[" + ip + "]\"" : "for=" + ip;
            this.localPort = local == null ? "" : Integer.toString(local.getPort());
            this.trusted = trustedProxies.trusts(peer);
        }

        static Peer of(HttpServerExchange exchange, TrustedProxies trustedProxies) {
            ServerConnection connection = exchange.getConnection();
            Peer peer = connection.getAttachment(KEY);
            if (peer == null) {
                peer = new Peer(connection.getPeerAddress(InetSocketAddress.class),
                        connection.getLocalAddress(InetSocketAddress.class), trustedProxies);
                connection.putAttachment(KEY, peer);
            }
            return peer;
        }
    }

    private static String joined(HeaderMap headers, HttpString name) {
        HeaderValues v = headers.get(name);
        return v == null || v.isEmpty() ? null : String.join(", ", v);
    }

    private static boolean isForwarding(HttpString name) {
        return name.equals(FORWARDED) || name.equals(X_FORWARDED_FOR) || name.equals(X_FORWARDED_PROTO)
                || name.equals(X_FORWARDED_HOST) || name.equals(X_FORWARDED_PORT) || name.equals(X_REAL_IP);
    }

    /** The request's path as received (percent-encoding kept), without scheme, authority or query. */
    public static String rawPath(HttpServerExchange exchange) {
        String uri = exchange.getRequestURI();
        if (exchange.isHostIncludedInRequestURI()) {
            int scheme = uri.indexOf("://");
            int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
            uri = slash < 0 ? "/" : uri.substring(slash);
        }
        return uri.isEmpty() ? "/" : uri;
    }

}
