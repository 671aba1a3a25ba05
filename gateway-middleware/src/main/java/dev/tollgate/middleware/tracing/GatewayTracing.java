package dev.tollgate.middleware.tracing;

import dev.tollgate.internal.Checks;
import dev.tollgate.net.ClientAddress;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.upstream.Endpoint;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * OpenTelemetry tracing from the gateway's events: a {@code SERVER} span per request and a
 * {@code CLIENT} span per upstream attempt (so a retried request shows one client span per try),
 * named and attributed after the HTTP semantic conventions. The incoming context ({@code traceparent},
 * {@code tracestate}, {@code baggage}: whatever the OpenTelemetry instance's propagators read) is
 * extracted from the client's request and the attempt's context is injected into each upstream
 * request. Register it as a listener: {@code Gateway.builder().listener(GatewayTracing.of(openTelemetry))}.
 *
 * <p>Only the OpenTelemetry API is used: the host application configures the SDK (exporter,
 * sampler, resource). The sampler decides at the server span; use a parent-based ratio sampler,
 * {@code Sampler.parentBased(Sampler.traceIdRatioBased(0.1))}, so a sampled caller's trace is always
 * continued. An unsampled request still propagates its context upstream.
 *
 * <p>The server span rides on the exchange: {@link #context(HttpServerExchange)} for middleware that
 * makes child spans, {@link TraceIds#of(HttpServerExchange)} for logs. There is no thread-local
 * current span across the asynchronous proxy, so {@code Span.current()} does not find it.
 *
 * <p>Thread-safe; callbacks run on the exchange's IO thread and do not block.
 */
public final class GatewayTracing implements GatewayListener {

    static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> HTTP_REQUEST_METHOD_ORIGINAL = AttributeKey.stringKey("http.request.method_original");
    static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<Long> HTTP_REQUEST_RESEND_COUNT = AttributeKey.longKey("http.request.resend_count");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
    static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    static final AttributeKey<String> NETWORK_PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
    static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> UPSTREAM = AttributeKey.stringKey("tollgate.upstream");
    static final AttributeKey<String> ROUTE_ID = AttributeKey.stringKey("tollgate.route");

    private static final Set<HttpString> KNOWN_METHODS = Set.of(Methods.GET, Methods.HEAD, Methods.POST, Methods.PUT,
            Methods.DELETE, Methods.CONNECT, Methods.OPTIONS, Methods.TRACE, Methods.PATCH);
    private static final HttpString USER_AGENT_HEADER = HttpString.tryFromString("User-Agent");

    private static final AttachmentKey<Trace> KEY = AttachmentKey.create(Trace.class);

    private static final TextMapGetter<HeaderMap> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HeaderMap carrier) {
            List<String> names = new ArrayList<>(carrier.size());
            for (HeaderValues v : carrier) {
                names.add(v.getHeaderName().toString());
            }
            return names;
        }

        @Override
        public String get(HeaderMap carrier, String key) {
            return carrier == null ? null : carrier.getFirst(header(key));
        }
    };

    private static final TextMapSetter<HeaderMap> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.put(header(key), value);
        }
    };

    // the W3C propagators' keys, made once: a HttpString caches its hash, a String key is rehashed per lookup
    private static final Map<String, HttpString> PROPAGATION_HEADERS = Map.of(
            "traceparent", HttpString.tryFromString("traceparent"),
            "tracestate", HttpString.tryFromString("tracestate"),
            "baggage", HttpString.tryFromString("baggage"));

    private static HttpString header(String key) {
        HttpString h = PROPAGATION_HEADERS.get(key);
        return h != null ? h : HttpString.tryFromString(key);
    }

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final HttpString traceIdHeader;

    private GatewayTracing(Builder b) {
        this.tracer = b.openTelemetry.getTracer(b.instrumentationName);
        this.propagator = b.openTelemetry.getPropagators().getTextMapPropagator();
        this.traceIdHeader = b.traceIdHeader == null ? null : HttpString.tryFromString(b.traceIdHeader);
    }

    /** Tracing through {@code openTelemetry}'s tracer and propagators, without a trace-ID response header. */
    public static GatewayTracing of(OpenTelemetry openTelemetry) {
        return builder(openTelemetry).build();
    }

    /** Starts a configuration for tracing through {@code openTelemetry}. */
    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(openTelemetry);
    }

    /**
     * The context of the request's server span, to parent spans made by middleware; the root context
     * when the request is not traced. Any thread.
     */
    public static Context context(HttpServerExchange exchange) {
        Trace t = exchange.getAttachment(KEY);
        return t == null ? Context.root() : t.context;
    }

    /** One request's spans. Touched on the exchange's IO thread only, one event at a time. */
    private static final class Trace {
        final Span server;
        final Context context;
        final String method;
        Span client;

        Trace(Span server, Context context, String method) {
            this.server = server;
            this.context = context;
            this.method = method;
        }
    }

    @Override
    public void requestStarted(HttpServerExchange exchange) {
        HeaderMap headers = exchange.getRequestHeaders();
        Context parent = propagator.extract(Context.root(), headers, GETTER);
        HttpString m = exchange.getRequestMethod();
        boolean known = KNOWN_METHODS.contains(m);
        String method = known ? m.toString() : "_OTHER";
        SpanBuilder sb = tracer.spanBuilder(known ? method : "HTTP")
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(HTTP_REQUEST_METHOD, method)
                .setAttribute(URL_PATH, exchange.getRequestPath())
                .setAttribute(URL_SCHEME, exchange.getRequestScheme())
                .setAttribute(SERVER_ADDRESS, exchange.getHostName())
                .setAttribute(SERVER_PORT, (long) exchange.getHostPort())
                .setAttribute(NETWORK_PROTOCOL_VERSION, protocolVersion(exchange.getProtocol()));
        if (!known) {
            sb.setAttribute(HTTP_REQUEST_METHOD_ORIGINAL, m.toString());
        }
        InetAddress client = ClientAddress.of(exchange);
        if (client != null) {
            sb.setAttribute(CLIENT_ADDRESS, client.getHostAddress());
        }
        String agent = headers.getFirst(USER_AGENT_HEADER);
        if (agent != null) {
            sb.setAttribute(USER_AGENT, agent);
        }
        Span server = sb.startSpan();
        exchange.putAttachment(KEY, new Trace(server, parent.with(server), method));
        SpanContext sc = server.getSpanContext();
        if (sc.isValid()) {
            TraceIds.attach(exchange, new TraceIds(sc.getTraceId(), sc.getSpanId(), sc.isSampled()));
            if (traceIdHeader != null) {
                exchange.getResponseHeaders().put(traceIdHeader, sc.getTraceId());
            }
        }
    }

    @Override
    public void attemptStarted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt) {
        Trace t = exchange.getAttachment(KEY);
        if (t == null) {
            return;
        }
        endClient(t, "abandoned"); // not expected: attempts are sequential and each one completes
        SpanBuilder sb = tracer.spanBuilder(t.method.equals("_OTHER") ? "HTTP" : t.method)
                .setParent(t.context)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(HTTP_REQUEST_METHOD, t.method)
                .setAttribute(SERVER_ADDRESS, endpoint.host())
                .setAttribute(SERVER_PORT, (long) endpoint.port())
                .setAttribute(UPSTREAM, upstream);
        RouteMatch match = RouteMatch.of(exchange);
        if (match != null) {
            sb.setAttribute(URL_FULL, (endpoint.tls() ? "https://" : "http://") + endpoint.authority() + match.upstreamPath());
        }
        if (attempt > 1) {
            sb.setAttribute(HTTP_REQUEST_RESEND_COUNT, (long) attempt - 1);
        }
        t.client = sb.startSpan();
    }

    @Override
    public void upstreamRequest(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                HeaderMap upstreamRequestHeaders) {
        Trace t = exchange.getAttachment(KEY);
        if (t != null) {
            propagator.inject(t.client != null ? t.context.with(t.client) : t.context, upstreamRequestHeaders, SETTER);
        }
    }

    @Override
    public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                 AttemptOutcome outcome, int status, long durationNanos) {
        Trace t = exchange == null ? null : exchange.getAttachment(KEY);
        if (t == null || t.client == null) {
            return; // no endpoint was picked: there was no attempt to trace
        }
        Span span = t.client;
        t.client = null;
        if (outcome == AttemptOutcome.RESPONSE) {
            span.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) status);
            if (status >= 400) {
                span.setAttribute(ERROR_TYPE, Integer.toString(status));
                span.setStatus(StatusCode.ERROR);
            }
        } else {
            String type = outcome.name().toLowerCase(Locale.ROOT);
            span.setAttribute(ERROR_TYPE, type);
            span.setStatus(StatusCode.ERROR, type);
        }
        span.end();
    }

    @Override
    public void requestCompleted(HttpServerExchange exchange, int status, long durationNanos) {
        Trace t = exchange.getAttachment(KEY);
        if (t == null) {
            return;
        }
        endClient(t, "incomplete");
        Span server = t.server;
        RouteMatch match = RouteMatch.of(exchange);
        if (match != null) {
            String template = match.route().template();
            server.updateName(t.method.equals("_OTHER") ? "HTTP " + template : t.method + " " + template);
            server.setAttribute(HTTP_ROUTE, template);
            server.setAttribute(ROUTE_ID, match.route().id());
        }
        server.setAttribute(HTTP_RESPONSE_STATUS_CODE, (long) status);
        if (status >= 500) {
            // a 4xx is the client's error, not the server's (semantic conventions, server spans)
            server.setAttribute(ERROR_TYPE, Integer.toString(status));
            server.setStatus(StatusCode.ERROR);
        }
        server.end();
    }

    private static void endClient(Trace t, String errorType) {
        if (t.client != null) {
            t.client.setAttribute(ERROR_TYPE, errorType);
            t.client.setStatus(StatusCode.ERROR, errorType);
            t.client.end();
            t.client = null;
        }
    }

    private static String protocolVersion(HttpString protocol) {
        String p = protocol.toString();
        return switch (p) {
            case "HTTP/1.1" -> "1.1";
            case "HTTP/1.0" -> "1.0";
            case "HTTP/2.0" -> "2";
            default -> p.startsWith("HTTP/") ? p.substring(5) : p;
        };
    }

    /** Configures {@link GatewayTracing}. Not thread-safe. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private String instrumentationName = "dev.tollgate.gateway";
        private String traceIdHeader;

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
        }

        /**
         * Returns the request's trace ID (32 hex digits) to the client in this response header, e.g.
         * {@code X-Trace-Id}, so a user can quote it in a support request. Default: none.
         *
         * @throws IllegalArgumentException if the name is not a valid header name
         */
        public Builder traceIdHeader(String name) {
            Objects.requireNonNull(name, "name");
            if (!Checks.isToken(name)) {
                throw new IllegalArgumentException("tracing.traceIdHeader: '" + name + "' (expected: a header name such as X-Trace-Id)");
            }
            this.traceIdHeader = name;
            return this;
        }

        /** The instrumentation scope name of the spans. Default {@code dev.tollgate.gateway}. */
        public Builder instrumentationName(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("tracing.instrumentationName: '" + name + "' (expected: not blank)");
            }
            this.instrumentationName = name;
            return this;
        }

        public GatewayTracing build() {
            return new GatewayTracing(this);
        }
    }
}
