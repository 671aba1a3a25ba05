package dev.tollgate.middleware.logging;

import dev.tollgate.error.Json;
import dev.tollgate.internal.Checks;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.logging.internal.CaptureConduits;
import dev.tollgate.middleware.logging.internal.ErrorTally;
import dev.tollgate.middleware.logging.internal.IsoTime;
import dev.tollgate.middleware.logging.internal.RequestRecord;
import dev.tollgate.net.ClientAddress;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.upstream.Endpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The gateway's request logs, all fed by the event model: an access line per request, a slow-request
 * line with its timing breakdown, error counts by route and kind with a periodic summary, and
 * optionally the request and response headers and first body bytes. Register it both as a listener
 * and (for MDC correlation, byte counts and captures) as middleware:
 *
 * <pre>{@code
 * RequestLogging logs = RequestLogging.builder().format(LogFormat.JSON)
 *         .slowThreshold(Duration.ofSeconds(1)).meterRegistry(registry).build();
 * Gateway.builder().use(requestIds).use(logs.middleware()).listener(logs) ...
 * }</pre>
 *
 * <h2>Loggers</h2>
 * <ul>
 *   <li>{@code tollgate.access} (INFO): one line per request, written when the exchange completes,
 *       on the thread that completes it (the IO thread normally).</li>
 *   <li>{@code tollgate.slow} (WARN): requests over the threshold (global, or per route id).</li>
 *   <li>{@code tollgate.errors} (WARN): at most one summary per interval while errors occur.</li>
 *   <li>{@code tollgate.attempts} (DEBUG): each upstream attempt's end, with its outcome.</li>
 * </ul>
 * Each line is built with one {@link StringBuilder} on the calling thread; the appender's IO is the
 * logging backend's business (the standalone runner uses logback's non-blocking async appender).
 * Lines are written with the request's IDs in the MDC ({@link Correlation}).
 *
 * <h2>Error kinds</h2>
 * {@code connect_failure}, {@code timeout} (connect or response), {@code upstream_reset},
 * {@code upstream_5xx} (per attempt), {@code no_endpoint}, {@code pool_exhausted}, and
 * {@code rejected}: the gateway answered 401, 403, 413, 429, 431 or 503 without trying the upstream
 * (authentication, rate limits, body limits, breaker or bulkhead). Counted in the Micrometer counter
 * {@code tollgate.errors} (tags {@code route}, {@code kind}) when a registry is given. Requests that
 * no route matched count under route {@code none}.
 *
 * <p>Immutable once built and thread-safe. {@link #close()} writes the pending error summary and
 * stops its timer thread (which otherwise ends by itself after a quiet interval).
 */
public final class RequestLogging implements GatewayListener, AutoCloseable {

    /** Logger names. */
    public static final String ACCESS_LOGGER = "tollgate.access";
    public static final String SLOW_LOGGER = "tollgate.slow";
    public static final String ERRORS_LOGGER = "tollgate.errors";
    public static final String ATTEMPTS_LOGGER = "tollgate.attempts";

    private static final Set<HttpString> ALWAYS_REDACTED = Set.of(Headers.AUTHORIZATION, Headers.PROXY_AUTHORIZATION,
            Headers.COOKIE, Headers.SET_COOKIE);
    private static final String REDACTED = "[redacted]";
    private static final String NO_ROUTE = "none";

    private final Logger access = LoggerFactory.getLogger(ACCESS_LOGGER);
    private final Logger slow = LoggerFactory.getLogger(SLOW_LOGGER);
    private final Logger attempts = LoggerFactory.getLogger(ATTEMPTS_LOGGER);
    private final boolean json;
    private final Marker marker;
    private final boolean accessLog;
    private final long slowNanos;
    private final Map<String, Long> slowNanosByRoute;
    private final boolean logHeaders;
    private final Set<HttpString> redacted;
    private final int bodyBytes;
    private final Correlation correlation;
    private final ErrorTally errors;

    private RequestLogging(Builder b) {
        this.json = b.format == LogFormat.JSON;
        this.marker = json ? LogFormat.JSON_MESSAGE : null;
        this.accessLog = b.accessLog;
        this.slowNanos = b.slowThreshold == null ? Long.MAX_VALUE : b.slowThreshold.toNanos();
        Map<String, Long> byRoute = new HashMap<>();
        b.slowByRoute.forEach((route, d) -> byRoute.put(route, d.toNanos()));
        this.slowNanosByRoute = Map.copyOf(byRoute);
        this.logHeaders = b.logHeaders;
        Set<HttpString> r = new HashSet<>(ALWAYS_REDACTED);
        b.redacted.forEach(name -> r.add(HttpString.tryFromString(name)));
        this.redacted = Set.copyOf(r);
        this.bodyBytes = b.bodyBytes;
        this.correlation = b.correlation;
        this.errors = new ErrorTally(b.registry == null ? null : Meters.errors(b.registry),
                LoggerFactory.getLogger(ERRORS_LOGGER), json, b.summaryInterval);
    }

    /** A builder; defaults: text format, access log on, no slow log, summaries every 10 s, no captures. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The middleware part: the IDs in the MDC while the chain runs ({@link Correlation#middleware()}),
     * counting the request body bytes, and the body captures when configured. Place it after the
     * request-ID middleware. Runs on the IO thread.
     */
    public Middleware middleware() {
        Middleware mdc = correlation.middleware();
        int limit = bodyBytes;
        return next -> mdc.wrap(exchange -> {
            if (limit > 0 || hasBody(exchange)) {
                RequestRecord record = RequestRecord.ensure(exchange);
                exchange.addRequestWrapper((factory, ex) -> {
                    CaptureConduits.Source source = new CaptureConduits.Source(factory.create(), limit);
                    record.requestBody(source);
                    return source;
                });
                if (limit > 0) {
                    exchange.addResponseWrapper((factory, ex) -> {
                        CaptureConduits.Sink sink = new CaptureConduits.Sink(factory.create(), limit);
                        record.responseBody(sink);
                        return sink;
                    });
                }
            }
            next.handleRequest(exchange);
        });
    }

    private static boolean hasBody(HttpServerExchange exchange) {
        return exchange.getRequestContentLength() > 0 || exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
    }

    /** The correlation this component writes its lines with. */
    public Correlation correlation() {
        return correlation;
    }

    @Override
    public void attemptStarted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt) {
        RequestRecord.ensure(exchange).attemptStarted(upstream, endpoint, System.nanoTime());
    }

    @Override
    public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                 AttemptOutcome outcome, int status, long durationNanos) {
        RequestRecord.ensure(exchange).attemptCompleted(upstream, endpoint, outcome, status, durationNanos);
        String kind = kind(outcome, status);
        if (kind != null) {
            errors.record(routeId(exchange), kind);
        }
        if (attempts.isDebugEnabled()) {
            try (Correlation.Scope ignored = correlation.open(exchange)) {
                attempts.debug("attempt {} to {} {}: {}{} in {} ms", attempt, upstream, endpoint == null ? "-" : endpoint,
                        outcome, status > 0 ? " " + status : "", durationNanos / 1_000_000);
            }
        }
    }

    /** The error kind of an attempt, or null when it is not an error of the gateway's path. */
    static String kind(AttemptOutcome outcome, int status) {
        return switch (outcome) {
            case RESPONSE -> status >= 500 ? "upstream_5xx" : null;
            case CONNECT_FAILED -> "connect_failure";
            case CONNECT_TIMEOUT, RESPONSE_TIMEOUT -> "timeout";
            case UPSTREAM_RESET -> "upstream_reset";
            case POOL_EXHAUSTED -> "pool_exhausted";
            case NO_ENDPOINT -> "no_endpoint";
            case CLIENT_ABORTED -> null;
        };
    }

    @Override
    public void requestCompleted(HttpServerExchange exchange, int status, long durationNanos) {
        long now = System.nanoTime();
        RequestRecord record = RequestRecord.of(exchange);
        if ((record == null || record.completedAttempts() == 0) && rejectedByPolicy(status)) {
            errors.record(routeId(exchange), "rejected");
        }
        boolean writeAccess = accessLog && access.isInfoEnabled();
        long threshold = slowNanosByRoute.isEmpty() ? slowNanos : slowThreshold(exchange);
        boolean writeSlow = durationNanos > threshold && slow.isWarnEnabled();
        if (!writeAccess && !writeSlow) {
            return;
        }
        try (Correlation.Scope ignored = correlation.open(exchange)) {
            if (writeAccess) {
                access.info(marker, accessLine(exchange, status, durationNanos));
            }
            if (writeSlow) {
                slow.warn(marker, slowLine(exchange, record, status, durationNanos, now, threshold));
            }
        }
    }

    private static boolean rejectedByPolicy(int status) {
        return status == 401 || status == 403 || status == 413 || status == 429 || status == 431 || status == 503;
    }

    private long slowThreshold(HttpServerExchange exchange) {
        RouteMatch m = RouteMatch.of(exchange);
        Long t = m == null ? null : slowNanosByRoute.get(m.route().id());
        return t == null ? slowNanos : t;
    }

    private static String routeId(HttpServerExchange exchange) {
        RouteMatch m = RouteMatch.of(exchange);
        return m == null ? NO_ROUTE : m.route().id();
    }

    /**
     * The access line for a completed exchange, as {@link #requestCompleted} writes it. Public for
     * benchmarks and tests; the thread that completes the exchange.
     */
    public String accessLine(HttpServerExchange exchange, int status, long durationNanos) {
        RequestRecord record = RequestRecord.of(exchange);
        RouteMatch match = RouteMatch.of(exchange);
        String route = match == null ? null : match.route().id();
        String upstream = record == null ? null : record.upstream();
        Endpoint endpoint = record == null ? null : record.endpoint();
        long upstreamNanos = record == null ? 0 : record.upstreamNanos();
        int attemptCount = record == null ? 0 : record.attempts();
        CaptureConduits.Source in = record == null ? null : record.requestBody();
        long bytesIn = in != null ? in.copy().total() : Math.max(0, exchange.getRequestContentLength());
        InetAddress client = ClientAddress.of(exchange);
        String query = exchange.getQueryString();
        StringBuilder sb = new StringBuilder(256);
        if (json) {
            IsoTime.append(sb.append("{\"time\":\""), System.currentTimeMillis()).append('"');
            field(sb, "request_id", Correlation.requestId(exchange));
            field(sb, "trace_id", correlation.traceId(exchange));
            field(sb, "client", client == null ? null : client.getHostAddress());
            field(sb, "method", exchange.getRequestMethod().toString());
            field(sb, "path", exchange.getRequestPath());
            if (!query.isEmpty()) {
                field(sb, "query", query);
            }
            field(sb, "route", route);
            field(sb, "upstream", upstream);
            field(sb, "endpoint", endpoint == null ? null : authority(endpoint));
            sb.append(",\"status\":").append(status);
            sb.append(",\"bytes_in\":").append(bytesIn);
            sb.append(",\"bytes_out\":").append(exchange.getResponseBytesSent());
            millis(sb.append(",\"duration_ms\":"), durationNanos);
            millis(sb.append(",\"upstream_ms\":"), upstreamNanos);
            sb.append(",\"attempts\":").append(attemptCount);
            sb.append(",\"retries\":").append(Math.max(0, attemptCount - 1));
        } else {
            sb.append(exchange.getRequestMethod()).append(' ');
            plain(sb, exchange.getRequestPath());
            if (!query.isEmpty()) {
                plain(sb.append('?'), query);
            }
            sb.append(' ').append(status);
            pair(sb, "route", route);
            pair(sb, "upstream", upstream);
            pair(sb, "endpoint", endpoint == null ? null : authority(endpoint));
            pair(sb, "client", client == null ? null : client.getHostAddress());
            sb.append(" in=").append(bytesIn).append(" out=").append(exchange.getResponseBytesSent());
            millis(sb.append(" duration_ms="), durationNanos);
            millis(sb.append(" upstream_ms="), upstreamNanos);
            sb.append(" retries=").append(Math.max(0, attemptCount - 1));
            pair(sb, "request_id", Correlation.requestId(exchange));
            pair(sb, "trace_id", correlation.traceId(exchange));
        }
        if (logHeaders) {
            headers(sb, "request_headers", exchange.getRequestHeaders());
            headers(sb, "response_headers", exchange.getResponseHeaders());
        }
        if (bodyBytes > 0 && record != null) {
            body(sb, "request_body", in == null ? null : in.copy());
            body(sb, "response_body", record.responseBody() == null ? null : record.responseBody().copy());
        }
        return json ? sb.append('}').toString() : sb.toString();
    }

    private String slowLine(HttpServerExchange exchange, RequestRecord record, int status, long totalNanos, long now,
                            long threshold) {
        long upstreamNanos = record == null ? 0 : record.upstreamNanos();
        long started = now - totalNanos;
        long beforeUpstream = record == null || record.firstAttemptStartNanos() == 0 ? totalNanos
                : Math.max(0, record.firstAttemptStartNanos() - started);
        int n = record == null ? 0 : record.completedAttempts();
        StringBuilder sb = new StringBuilder(256);
        if (json) {
            IsoTime.append(sb.append("{\"time\":\""), System.currentTimeMillis()).append("\",\"event\":\"slow_request\"");
            field(sb, "request_id", Correlation.requestId(exchange));
            field(sb, "trace_id", correlation.traceId(exchange));
            field(sb, "method", exchange.getRequestMethod().toString());
            field(sb, "path", exchange.getRequestPath());
            field(sb, "route", routeOrNull(exchange));
            sb.append(",\"status\":").append(status);
            millis(sb.append(",\"threshold_ms\":"), threshold);
            millis(sb.append(",\"total_ms\":"), totalNanos);
            millis(sb.append(",\"gateway_ms\":"), Math.max(0, totalNanos - upstreamNanos));
            millis(sb.append(",\"before_upstream_ms\":"), beforeUpstream);
            millis(sb.append(",\"upstream_ms\":"), upstreamNanos);
            sb.append(",\"attempts\":[");
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "{" : ",{");
                sb.append("\"endpoint\":");
                quoteOrNull(sb, record.endpoint(i) == null ? null : authority(record.endpoint(i)));
                sb.append(",\"outcome\":\"").append(record.outcome(i)).append('"');
                sb.append(",\"status\":").append(record.status(i));
                millis(sb.append(",\"ms\":"), record.nanos(i));
                sb.append('}');
            }
            return sb.append("]}").toString();
        }
        plain(sb.append("slow request ").append(exchange.getRequestMethod()).append(' '), exchange.getRequestPath())
                .append(' ').append(status);
        pair(sb, "route", routeOrNull(exchange));
        millis(sb.append(" threshold_ms="), threshold);
        millis(sb.append(" total_ms="), totalNanos);
        millis(sb.append(" gateway_ms="), Math.max(0, totalNanos - upstreamNanos));
        millis(sb.append(" before_upstream_ms="), beforeUpstream);
        millis(sb.append(" upstream_ms="), upstreamNanos);
        sb.append(" attempts=[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ", ").append('#').append(i + 1).append(' ')
                    .append(record.endpoint(i) == null ? "-" : authority(record.endpoint(i)))
                    .append(' ').append(record.outcome(i));
            if (record.status(i) > 0) {
                sb.append(' ').append(record.status(i));
            }
            millis(sb.append(' '), record.nanos(i)).append("ms");
        }
        sb.append(']');
        pair(sb, "request_id", Correlation.requestId(exchange));
        pair(sb, "trace_id", correlation.traceId(exchange));
        return sb.toString();
    }

    private static String routeOrNull(HttpServerExchange exchange) {
        RouteMatch m = RouteMatch.of(exchange);
        return m == null ? null : m.route().id();
    }

    private static String authority(Endpoint e) {
        return e.host() + ':' + e.port();
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(",\"").append(name).append("\":");
        quoteOrNull(sb, value);
    }

    private static void quoteOrNull(StringBuilder sb, String value) {
        if (value == null) {
            sb.append("null");
        } else {
            Json.quote(sb, value);
        }
    }

    private static void pair(StringBuilder sb, String name, String value) {
        plain(sb.append(' ').append(name).append('='), value == null ? "-" : value);
    }

    /**
     * Appends {@code s} for a text line: control characters (a decoded {@code %0A} in a path, say)
     * become backslash-u escapes with four hex digits, so a request cannot forge or break lines.
     */
    static StringBuilder plain(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
                sb.append("\\u").append(Character.forDigit(c >> 12 & 0xf, 16)).append(Character.forDigit(c >> 8 & 0xf, 16))
                        .append(Character.forDigit(c >> 4 & 0xf, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                sb.append(c);
            }
        }
        return sb;
    }

    /** Milliseconds with three decimals, without floating point. */
    static StringBuilder millis(StringBuilder sb, long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        sb.append(micros / 1_000).append('.');
        long frac = micros % 1_000;
        if (frac < 100) {
            sb.append(frac < 10 ? "00" : "0");
        }
        return sb.append(frac);
    }

    private void headers(StringBuilder sb, String name, HeaderMap headers) {
        if (json) {
            sb.append(",\"").append(name).append("\":{");
        } else {
            sb.append(' ').append(name).append("={");
        }
        boolean first = true;
        for (HeaderValues values : headers) {
            if (!first) {
                sb.append(json ? "," : ", ");
            }
            first = false;
            String value = redacted.contains(values.getHeaderName()) ? REDACTED
                    : values.size() == 1 ? values.getFirst() : String.join(", ", values);
            if (json) {
                Json.quote(sb, values.getHeaderName().toString()).append(':');
                Json.quote(sb, value);
            } else {
                sb.append(values.getHeaderName()).append(": ");
                Json.quote(sb, value);
            }
        }
        sb.append('}');
    }

    private void body(StringBuilder sb, String name, CaptureConduits.Copy copy) {
        String text = copy == null ? "" : copy.text();
        boolean truncated = copy != null && copy.truncated();
        if (json) {
            sb.append(",\"").append(name).append("\":");
            Json.quote(sb, text);
            sb.append(",\"").append(name).append("_truncated\":").append(truncated);
        } else {
            sb.append(' ').append(name).append('=');
            Json.quote(sb, text);
            if (truncated) {
                sb.append("...");
            }
        }
    }

    /** Writes the pending error summary and stops the summary thread. */
    @Override
    public void close() {
        errors.close();
    }

    /** Micrometer in its own class, so the component loads without it when no registry is given. */
    private static final class Meters {
        static java.util.function.BiFunction<String, String, Runnable> errors(Object registry) {
            MeterRegistry r = (MeterRegistry) registry;
            return (route, kind) -> {
                Counter c = Counter.builder("tollgate.errors").description("Errors by route and kind")
                        .tag("route", route).tag("kind", kind).register(r);
                return c::increment;
            };
        }
    }

    /** Builds {@link RequestLogging}. Not thread-safe. */
    public static final class Builder {
        private LogFormat format = LogFormat.TEXT;
        private boolean accessLog = true;
        private Duration slowThreshold;
        private final Map<String, Duration> slowByRoute = new HashMap<>();
        private Duration summaryInterval = Duration.ofSeconds(10);
        private Object registry;
        private Correlation correlation = Correlation.fromTraceparent();
        private boolean logHeaders;
        private final Set<String> redacted = new HashSet<>();
        private int bodyBytes;

        private Builder() {
        }

        /** Text (default) or JSON lines. */
        public Builder format(LogFormat format) {
            this.format = Objects.requireNonNull(format, "format");
            return this;
        }

        /** Whether to write the access line of every request. Default true. */
        public Builder accessLog(boolean enabled) {
            this.accessLog = enabled;
            return this;
        }

        /**
         * Logs requests that take longer than {@code threshold} on {@code tollgate.slow}. Default: off.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder slowThreshold(Duration threshold) {
            this.slowThreshold = Checks.positive("logging.slowThreshold", threshold);
            return this;
        }

        /**
         * The slow threshold for one route (by its id), overriding the global one.
         *
         * @throws IllegalArgumentException if not positive or the route id is blank
         */
        public Builder slowThreshold(String routeId, Duration threshold) {
            Objects.requireNonNull(routeId, "routeId");
            if (routeId.isBlank()) {
                throw new IllegalArgumentException("logging.slowThreshold: route id is blank (expected: a route id)");
            }
            slowByRoute.put(routeId, Checks.positive("logging.slowThreshold[" + routeId + "]", threshold));
            return this;
        }

        /**
         * How often the error summary is written while errors occur. Default 10 s;
         * {@link Duration#ZERO} turns summaries off (the counters still count).
         *
         * @throws IllegalArgumentException if negative, or positive but under 100 ms
         */
        public Builder errorSummaryInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isZero()) {
                this.summaryInterval = null;
                return this;
            }
            if (interval.isNegative() || interval.toMillis() < 100) {
                throw new IllegalArgumentException("logging.errorSummaryInterval: " + interval
                        + " (expected: 0 for off, or >= 100 ms)");
            }
            this.summaryInterval = interval;
            return this;
        }

        /** Where the {@code tollgate.errors} counters go (Micrometer must be on the class path). Default: none. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** Where request and trace IDs come from. Default {@link Correlation#fromTraceparent()}. */
        public Builder correlation(Correlation correlation) {
            this.correlation = Objects.requireNonNull(correlation, "correlation");
            return this;
        }

        /**
         * Adds the request and response headers to the access line; {@code Authorization},
         * {@code Proxy-Authorization}, {@code Cookie}, {@code Set-Cookie} and the {@link #redact} names
         * show as {@code [redacted]}. Default false.
         */
        public Builder logHeaders(boolean enabled) {
            this.logHeaders = enabled;
            return this;
        }

        /** More header names whose values are never logged (case-insensitive). */
        public Builder redact(String... headerNames) {
            for (String name : headerNames) {
                Objects.requireNonNull(name, "headerName");
                if (name.isBlank()) {
                    throw new IllegalArgumentException("logging.redact: blank header name");
                }
                redacted.add(name.trim());
            }
            return this;
        }

        /**
         * Adds the first {@code maxBytes} of the request and response bodies to the access line (as
         * UTF-8 text), copied as they stream through without changing them. Needs {@link RequestLogging#middleware()}.
         * Default 0 (off).
         *
         * @throws IllegalArgumentException if negative or over 1 MiB
         */
        public Builder logBodies(long maxBytes) {
            if (maxBytes < 0 || maxBytes > 1024 * 1024) {
                throw new IllegalArgumentException("logging.bodyBytes: " + maxBytes + " (expected: 0..1048576)");
            }
            this.bodyBytes = (int) maxBytes;
            return this;
        }


        /** A new {@link RequestLogging}; its summary thread starts only when the first error is counted. */
        public RequestLogging build() {
            return new RequestLogging(this);
        }
    }
}
