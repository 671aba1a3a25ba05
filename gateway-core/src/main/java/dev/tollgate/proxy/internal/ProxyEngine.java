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

import java.io.IOException;
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

    /** How often a request may move on from endpoints removed under it. */
    private static final int MAX_REPICKS = 3;

    /** The safe-replay limit for a reused connection that turned out to be dead. */
    private static final int MAX_STALE_RETRIES = 2;

    private final ProxyOptions options;
    private final GatewayListener events;
    private final ConnectionPool.Settings poolSettings;
    private final String viaValue;

    public ProxyEngine(ProxyOptions options, GatewayListener events, ByteBufferPool bufferPool) {
        this.options = options;
        this.events = events;
        this.poolSettings = new ConnectionPool.Settings(options.maxConnectionsPerThread(), options.maxWaitingPerThread(),
                options.acquireTimeout(), options.connectTimeout(), options.idleTimeout(), options.responseTimeout(),
                OptionMap.create(org.xnio.Options.TCP_NODELAY, true), bufferPool);
        this.viaValue = options.via().isEmpty() ? null : "1.1 " + options.via();
    }

    /** The terminal handler of routes that go to {@code upstream}. */
    public HttpHandler handlerFor(UpstreamPool upstream) {
        return exchange -> {
            XnioIoThread io = exchange.getIoThread();
            // the call runs once the handler chain has returned, always on the exchange's IO thread
            exchange.dispatch(exchange.isInIoThread() ? SameThreadExecutor.INSTANCE : io,
                    () -> new Call(exchange, upstream).start());
        };
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
        EndpointState target = shadow.pick(exchange);
        if (target == null) {
            done.run();
            return;
        }
        ClientRequest request = buildRequest(exchange, target.endpoint(), false);
        request.getRequestHeaders().remove(Headers.TRANSFER_ENCODING);
        request.getRequestHeaders().put(X_MIRRORED, "true");
        MirrorCall call = new MirrorCall(target, exchange.getIoThread(), request, done);
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
        private final Runnable done;
        private ClientConnection connection;
        private Deadlines.Entry timer;
        private boolean requestSent;
        private boolean finished;

        MirrorCall(EndpointState endpoint, XnioIoThread io, ClientRequest request, Runnable done) {
            this.endpoint = endpoint;
            this.pool = endpoint.pool(io, poolSettings);
            this.request = request;
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

    /** One proxied request: possibly several connection attempts, one relayed response. */
    private final class Call implements ConnectionPool.Waiter, ExchangeCompletionListener {
        private final HttpServerExchange exchange;
        private final UpstreamPool upstream;
        private final long started = System.nanoTime();
        private EndpointState endpoint;
        private ConnectionPool pool;
        private ClientConnection connection;
        private boolean reused;
        private int attempt;
        private long attemptStarted;
        private Deadlines.Entry responseTimer;
        private boolean responseStarted;
        private boolean requestSent;
        private boolean responseDone;
        private boolean finished;
        private boolean connectionBroken;
        private int repicks;
        /** Whether a dead reused connection may take the request again: no body, and an idempotent method. */
        private boolean replayable;

        Call(HttpServerExchange exchange, UpstreamPool upstream) {
            this.exchange = exchange;
            this.upstream = upstream;
        }

        void start() {
            endpoint = upstream.pick(exchange);
            if (endpoint == null) {
                events.attemptCompleted(exchange, upstream.name(), null, 1, AttemptOutcome.NO_ENDPOINT, 0, 0);
                // the last endpoint may have turned unavailable after the health gate let the request in
                ProblemResponder.send(exchange, upstream.noneAvailable()
                        ? Problem.NO_HEALTHY_ENDPOINT.withDetail("no endpoint of upstream '" + upstream.name() + "' is healthy")
                        : Problem.UNAVAILABLE.withDetail("upstream '" + upstream.name() + "' has no endpoints"));
                return;
            }
            endpoint.inFlight().incrementAndGet();
            exchange.addExchangeCompleteListener(this);
            pool = endpoint.pool(exchange.getIoThread(), poolSettings);
            // decided before the first attempt: once a body has been streamed the request is complete too,
            // yet that body is gone and cannot be sent again
            replayable = exchange.isRequestComplete() && exchange.getRequestMethod() != null
                    && IDEMPOTENT.contains(exchange.getRequestMethod());
            beginAttempt();
        }

        /**
         * The endpoint was removed between the pick and the connection: no byte went anywhere, so
         * the request takes another endpoint of the current set. Bounded, as the set could keep
         * changing under it.
         */
        private void repick() {
            events.attemptCompleted(exchange, upstream.name(), endpoint.endpoint(), attempt, AttemptOutcome.NO_ENDPOINT, 0,
                    System.nanoTime() - attemptStarted);
            endpoint.inFlight().decrementAndGet();
            EndpointState next = ++repicks <= MAX_REPICKS ? upstream.pick(exchange) : null;
            if (next == null) {
                endpoint.inFlight().incrementAndGet(); // the completion listener decrements it again
                finished = true;
                ProblemResponder.send(exchange, Problem.UNAVAILABLE.withDetail("upstream '" + upstream.name()
                        + "' has no endpoint that stays"));
                return;
            }
            endpoint = next;
            endpoint.inFlight().incrementAndGet();
            pool = endpoint.pool(exchange.getIoThread(), poolSettings);
            beginAttempt();
        }

        private void beginAttempt() {
            attempt++;
            startAttempt();
        }

        /** Starts attempt number {@link #attempt}. */
        private void startAttempt() {
            // the state of the connection belongs to the attempt; the previous one's was closed
            connectionBroken = false;
            requestSent = false;
            responseDone = false;
            attemptStarted = System.nanoTime();
            events.attemptStarted(exchange, upstream.name(), endpoint.endpoint(), attempt);
            pool.acquire(this);
        }

        @Override
        public boolean wanted() {
            return !finished && !exchange.isComplete() && exchange.getConnection().isOpen();
        }

        @Override
        public void failed(ConnectionPool.Failure failure, IOException cause) {
            switch (failure) {
                case CONNECT_TIMEOUT -> fail(AttemptOutcome.CONNECT_TIMEOUT,
                        Problem.UPSTREAM_TIMEOUT.withDetail("connecting to upstream '" + upstream.name() + "' timed out"));
                case CONNECT_FAILED -> fail(AttemptOutcome.CONNECT_FAILED,
                        Problem.UPSTREAM_UNREACHABLE.withDetail("could not connect to upstream '" + upstream.name() + "'"));
                case QUEUE_FULL, QUEUE_TIMEOUT -> fail(AttemptOutcome.POOL_EXHAUSTED,
                        Problem.UNAVAILABLE.withDetail("no connection to upstream '" + upstream.name() + "' was free in time"));
                case CLOSED -> fail(AttemptOutcome.NO_ENDPOINT,
                        Problem.UNAVAILABLE.withDetail("upstream '" + upstream.name() + "' is shutting down"));
                case REMOVED -> repick();
            }
            log.debug("attempt to {} failed: {}", endpoint, cause.getMessage());
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
            responseTimer = pool.responseDeadlines().add(this::onResponseTimeout);
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
            if (exchange.isRequestComplete()) {
                done.handleEvent(result.getRequestChannel());
            } else {
                StreamSourceChannel body = exchange.getRequestChannel();
                if (body == null) {
                    // someone before us consumed the body channel; nothing left to send
                    done.handleEvent(result.getRequestChannel());
                    return;
                }
                Transfer.initiateTransfer(body, result.getRequestChannel(), ChannelListeners.closingChannelListener(), done,
                        (ChannelExceptionHandler<StreamSourceChannel>) (ch, e) -> onClientBodyFailure(e),
                        (ChannelExceptionHandler<StreamSinkChannel>) (ch, e) -> onUpstreamFailure(e, current),
                        exchange.getConnection().getByteBufferPool());
            }
        }

        private void onResponse(ClientExchange result) {
            if (finished) {
                return;
            }
            cancelResponseTimer();
            ClientResponse response = result.getResponse();
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
            exchange.setStatusCode(response.getResponseCode());
            responseStarted = true;
            events.attemptCompleted(exchange, upstream.name(), endpoint.endpoint(), attempt, AttemptOutcome.RESPONSE,
                    response.getResponseCode(), System.nanoTime() - attemptStarted);
            Transfer.initiateTransfer(result.getResponseChannel(), exchange.getResponseChannel(),
                    ChannelListeners.closingChannelListener(), new FinishSink(result, exchange, false),
                    (ChannelExceptionHandler<StreamSourceChannel>) (ch, e) -> onResponseBodyFailure(e, true),
                    (ChannelExceptionHandler<StreamSinkChannel>) (ch, e) -> onResponseBodyFailure(e, false),
                    exchange.getConnection().getByteBufferPool());
        }

        private void onResponseTimeout() {
            responseTimer = null;
            if (finished || responseStarted) {
                return;
            }
            connectionBroken = true;
            fail(AttemptOutcome.RESPONSE_TIMEOUT, Problem.UPSTREAM_TIMEOUT.withDetail("upstream '" + upstream.name()
                    + "' did not answer within " + options.responseTimeout().toMillis() + " ms"));
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
            connectionBroken = true;
            cancelResponseTimer();
            // a pooled connection that the upstream had closed: the request most likely never reached it,
            // so a body-less idempotent request may go again on another connection
            if (reused && replayable && attempt <= MAX_STALE_RETRIES && wanted()) {
                log.debug("reused connection to {} was dead ({}), trying a fresh one", endpoint, e.toString());
                events.attemptCompleted(exchange, upstream.name(), endpoint.endpoint(), attempt,
                        AttemptOutcome.UPSTREAM_RESET, 0, System.nanoTime() - attemptStarted);
                // the number moves on before the dead connection is closed: closing it fails its exchange
                // again, right here, and that second report must be seen as stale
                attempt++;
                releaseConnection();
                startAttempt();
                return;
            }
            fail(AttemptOutcome.UPSTREAM_RESET, Problem.UPSTREAM_BAD_RESPONSE.withDetail("upstream '" + upstream.name()
                    + "' closed the connection before answering"));
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
                fail(AttemptOutcome.CLIENT_ABORTED, tooBig(e)
                        ? Problem.BODY_TOO_LARGE.withDetail("the request body is larger than the gateway accepts")
                        : Problem.BAD_REQUEST.withDetail("the request body is malformed or incomplete"));
            } else {
                fail(AttemptOutcome.CLIENT_ABORTED, null);
            }
        }

        private boolean tooBig(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof RequestTooBigException) {
                    return true;
                }
            }
            return false;
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
            cancelResponseTimer();
            events.attemptCompleted(exchange, upstream.name(), endpoint.endpoint(), attempt, outcome, 0,
                    System.nanoTime() - attemptStarted);
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
            endpoint.inFlight().decrementAndGet();
            if (!finished) {
                finished = true;
                cancelResponseTimer();
            }
            if (connection != null) {
                releaseConnection();
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

        private ClientRequest buildRequest() {
            return ProxyEngine.this.buildRequest(exchange, endpoint.endpoint(), !exchange.isRequestComplete());
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
