package dev.tollgate.middleware.metrics;

import dev.tollgate.Gateway;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.BreakerState;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.route.Route;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.route.SplitDecision;
import dev.tollgate.upstream.Endpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's Micrometer meters, fed by its events. Register it as a listener:
 * {@code Gateway.builder().listener(GatewayMetrics.of(registry))}. Every tag value is bounded: route
 * ids (never a raw path), a fixed set of methods, status classes, outcomes, and the configured
 * upstreams, endpoints and rate-limit policies. The meters and their tags are listed in the README
 * ("Metrics").
 *
 * <p>Meters are looked up per request in arrays indexed by method, status class and outcome, one
 * array per route (and per endpoint for attempts): no tag list is built on the request path once a
 * combination has been seen.
 *
 * <p>Thread-safe; every callback runs on the thread of its event (usually an IO thread) and does not
 * block.
 */
public final class GatewayMetrics implements GatewayListener {

    /** Request timer: {@code route, method, status, outcome}. */
    public static final String REQUESTS = "tollgate.requests";
    /** Requests being handled right now. */
    public static final String ACTIVE_REQUESTS = "tollgate.requests.active";
    /** Client connections open on the gateway's listeners. */
    public static final String OPEN_CONNECTIONS = "tollgate.connections.open";
    /** Upstream attempt timer: {@code upstream, endpoint, outcome, status}. */
    public static final String ATTEMPTS = "tollgate.upstream.attempts";
    /** Attempts after the first of a request: {@code upstream}. */
    public static final String RETRIES = "tollgate.upstream.retries";
    /** Circuit breaker transitions: {@code upstream, endpoint, from, to}. */
    public static final String BREAKER_TRANSITIONS = "tollgate.breaker.transitions";
    /** Circuit breaker state (0 closed, 1 open, 2 half-open): {@code upstream, endpoint}. */
    public static final String BREAKER_STATE = "tollgate.breaker.state";
    /** Rate-limit decisions: {@code policy, decision}. */
    public static final String RATE_LIMIT_DECISIONS = "tollgate.ratelimit.decisions";
    /** Endpoint health changes: {@code upstream, endpoint, available}. */
    public static final String HEALTH_CHANGES = "tollgate.endpoint.health.changes";
    /** Endpoint availability (1 available, 0 not), after its first change: {@code upstream, endpoint}. */
    public static final String ENDPOINT_AVAILABLE = "tollgate.endpoint.available";
    /** Requests a canary split sent to one side: {@code route, upstream, reason} (forced, sticky, weight). */
    public static final String SPLIT_REQUESTS = "tollgate.split.requests";
    /** Requests a mirror chose: {@code upstream} (the shadow), {@code result} (sent, or skipped by its cap or body limit). */
    public static final String MIRROR_REQUESTS = "tollgate.mirror.requests";
    /** Log records the log shipper dropped; registered and counted by log shipping, not here. */
    public static final String LOG_SHIPPING_DROPPED = "tollgate.log.shipping.dropped";

    /** The route tag of requests no route matched (404s, health and admin paths, rejected framing). */
    public static final String NO_ROUTE = "none";
    /** The outcome tag of requests answered without any upstream attempt (no route, rate limit, auth, ...). */
    public static final String LOCAL = "local";

    private static final HttpString[] METHODS = {Methods.GET, Methods.HEAD, Methods.POST, Methods.PUT, Methods.DELETE,
            Methods.PATCH, Methods.OPTIONS, Methods.TRACE, Methods.CONNECT};
    private static final String[] METHOD_TAGS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
            "CONNECT", "OTHER"};
    private static final Map<HttpString, Integer> METHOD_INDEX;
    private static final String[] STATUS_TAGS = {"1xx", "2xx", "3xx", "4xx", "5xx", "none", "other"};
    private static final AttemptOutcome[] ATTEMPT_OUTCOMES = AttemptOutcome.values();
    private static final String[] OUTCOME_TAGS; // index 0: local, then each AttemptOutcome
    private static final AttachmentKey<AttemptOutcome> LAST_OUTCOME = AttachmentKey.create(AttemptOutcome.class);

    static {
        Map<HttpString, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < METHODS.length; i++) {
            index.put(METHODS[i], i);
        }
        METHOD_INDEX = Map.copyOf(index);
        OUTCOME_TAGS = new String[ATTEMPT_OUTCOMES.length + 1];
        OUTCOME_TAGS[0] = LOCAL;
        for (AttemptOutcome o : ATTEMPT_OUTCOMES) {
            OUTCOME_TAGS[o.ordinal() + 1] = o.name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final Duration[] buckets;
    private final LongAdder active = new LongAdder();
    private final Map<Route, AtomicReferenceArray<Timer>> requestTimers = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<Timer> unrouted;
    private final Map<String, Map<Endpoint, AtomicReferenceArray<Timer>>> attemptTimers = new ConcurrentHashMap<>();
    private final Map<String, Counter> retries = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> states = new ConcurrentHashMap<>();

    private GatewayMetrics(MeterRegistry registry, Duration[] buckets) {
        this.registry = registry;
        this.buckets = buckets;
        this.unrouted = new AtomicReferenceArray<>(METHOD_TAGS.length * STATUS_TAGS.length * OUTCOME_TAGS.length);
        Gauge.builder(ACTIVE_REQUESTS, active, LongAdder::sum)
                .description("Requests being handled by the gateway")
                .register(registry);
    }

    /** Metrics into {@code registry} with the default buckets. */
    public static GatewayMetrics of(MeterRegistry registry) {
        return builder(registry).build();
    }

    /** Starts a configuration for metrics into {@code registry}. */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    /** The registry the meters live in. */
    public MeterRegistry registry() {
        return registry;
    }

    @Override
    public void gatewayStarted(Gateway gateway) {
        Gauge.builder(OPEN_CONNECTIONS, gateway, Gateway::openConnections)
                .description("Client connections open on the gateway's listeners")
                .register(registry);
    }

    @Override
    public void requestStarted(HttpServerExchange exchange) {
        active.increment();
    }

    @Override
    public void requestCompleted(HttpServerExchange exchange, int status, long durationNanos) {
        active.decrement();
        RouteMatch match = RouteMatch.of(exchange);
        Route route = match == null ? null : match.route();
        AtomicReferenceArray<Timer> timers = route == null ? unrouted
                : requestTimers.computeIfAbsent(route, r -> new AtomicReferenceArray<>(unrouted.length()));
        Integer m = METHOD_INDEX.get(exchange.getRequestMethod());
        int method = m == null ? METHOD_TAGS.length - 1 : m;
        int statusClass = statusIndex(status);
        AttemptOutcome last = exchange.getAttachment(LAST_OUTCOME);
        int outcome = last == null ? 0 : last.ordinal() + 1;
        int slot = (method * STATUS_TAGS.length + statusClass) * OUTCOME_TAGS.length + outcome;
        Timer t = timers.get(slot);
        if (t == null) {
            t = timer(REQUESTS, "Requests by route, method, status class and outcome", Tags.of(
                    "route", route == null ? NO_ROUTE : route.id(),
                    "method", METHOD_TAGS[method],
                    "status", STATUS_TAGS[statusClass],
                    "outcome", OUTCOME_TAGS[outcome]));
            timers.set(slot, t);
        }
        t.record(durationNanos, TimeUnit.NANOSECONDS);
        SplitDecision split = SplitDecision.of(exchange);
        if (split != null && route != null) {
            counter(SPLIT_REQUESTS, "Requests of canary-split routes by the side chosen", "route", route.id(),
                    "upstream", split.upstream(), "reason", split.reason().name().toLowerCase(Locale.ROOT)).increment();
        }
    }

    @Override
    public void requestMirrored(HttpServerExchange exchange, String shadowUpstream, boolean sent) {
        counter(MIRROR_REQUESTS, "Requests chosen for a mirror copy, sent or skipped", "upstream", shadowUpstream,
                "result", sent ? "sent" : "skipped").increment();
    }

    @Override
    public void attemptStarted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt) {
        if (attempt > 1) {
            retries.computeIfAbsent(upstream, u -> Counter.builder(RETRIES)
                    .description("Upstream attempts after the first of a request")
                    .tag("upstream", u)
                    .register(registry)).increment();
        }
    }

    @Override
    public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                 AttemptOutcome outcome, int status, long durationNanos) {
        if (exchange != null) {
            exchange.putAttachment(LAST_OUTCOME, outcome);
        }
        if (endpoint == null) {
            // nothing was sent anywhere: the request's own outcome says so
            return;
        }
        AtomicReferenceArray<Timer> timers = attemptTimers
                .computeIfAbsent(upstream, u -> new ConcurrentHashMap<>())
                .computeIfAbsent(endpoint, e -> new AtomicReferenceArray<>(ATTEMPT_OUTCOMES.length * STATUS_TAGS.length));
        int statusClass = statusIndex(status);
        int slot = outcome.ordinal() * STATUS_TAGS.length + statusClass;
        Timer t = timers.get(slot);
        if (t == null) {
            t = timer(ATTEMPTS, "Upstream attempts by upstream, endpoint, outcome and status class", Tags.of(
                    "upstream", upstream,
                    "endpoint", endpointTag(endpoint),
                    "outcome", OUTCOME_TAGS[outcome.ordinal() + 1],
                    "status", STATUS_TAGS[statusClass]));
            timers.set(slot, t);
        }
        t.record(durationNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void breakerStateChanged(String upstream, Endpoint endpoint, BreakerState from, BreakerState to) {
        String ep = endpoint == null ? "all" : endpointTag(endpoint);
        counter(BREAKER_TRANSITIONS, "Circuit breaker state changes", "upstream", upstream, "endpoint", ep,
                "from", from.name().toLowerCase(Locale.ROOT), "to", to.name().toLowerCase(Locale.ROOT)).increment();
        state(BREAKER_STATE, "Circuit breaker state: 0 closed, 1 open, 2 half-open", upstream, ep).set(stateValue(to));
    }

    @Override
    public void rateLimitDecided(HttpServerExchange exchange, String policy, boolean allowed, long remaining) {
        counter(RATE_LIMIT_DECISIONS, "Rate-limit decisions by policy", "policy", policy,
                "decision", allowed ? "allowed" : "rejected").increment();
    }

    @Override
    public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
        String ep = endpointTag(endpoint);
        counter(HEALTH_CHANGES, "Endpoint availability changes", "upstream", upstream, "endpoint", ep,
                "available", Boolean.toString(available)).increment();
        state(ENDPOINT_AVAILABLE, "Whether the endpoint takes traffic (1) or not (0), after its first change",
                upstream, ep).set(available ? 1 : 0);
    }

    /** CLOSED 0, OPEN 1, HALF_OPEN 2: written down here so a renumbered enum cannot change dashboards. */
    private static int stateValue(BreakerState s) {
        return switch (s) {
            case CLOSED -> 0;
            case OPEN -> 1;
            case HALF_OPEN -> 2;
        };
    }

    private Timer timer(String name, String description, Tags tags) {
        return Timer.builder(name)
                .description(description)
                .tags(tags)
                .serviceLevelObjectives(buckets)
                .register(registry);
    }

    // events that are rare next to requests: a string key is cheap enough here
    private Counter counter(String name, String description, String... tags) {
        String key = name + '\0' + String.join("\0", tags);
        Counter c = counters.get(key);
        return c != null ? c : counters.computeIfAbsent(key, k -> Counter.builder(name)
                .description(description).tags(tags).register(registry));
    }

    private AtomicInteger state(String name, String description, String upstream, String endpoint) {
        String key = name + '\0' + upstream + '\0' + endpoint;
        AtomicInteger s = states.get(key);
        return s != null ? s : states.computeIfAbsent(key, k -> {
            AtomicInteger v = new AtomicInteger();
            Gauge.builder(name, v, AtomicInteger::get).description(description)
                    .tags("upstream", upstream, "endpoint", endpoint).strongReference(true).register(registry);
            return v;
        });
    }

    private static String endpointTag(Endpoint endpoint) {
        return endpoint.host() + ":" + endpoint.port();
    }

    private static int statusIndex(int status) {
        if (status == 0) {
            return 5;
        }
        int c = status / 100;
        return c >= 1 && c <= 5 ? c - 1 : 6;
    }

    /** Configures {@link GatewayMetrics}. Not thread-safe. */
    public static final class Builder {
        private final MeterRegistry registry;
        private Duration[] buckets = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
                Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
                Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(30)};

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * The histogram bucket bounds of the request and attempt timers (Prometheus {@code le} labels),
         * the same on every instance so quantiles aggregate across them. Default: 5, 10, 25, 50, 100,
         * 250, 500 ms, 1, 2.5, 5, 10, 30 s.
         *
         * @throws IllegalArgumentException if empty, not positive or not increasing
         */
        public Builder buckets(Duration... bounds) {
            Objects.requireNonNull(bounds, "bounds");
            if (bounds.length == 0) {
                throw new IllegalArgumentException("metrics.buckets: none (expected: at least one bound)");
            }
            for (int i = 0; i < bounds.length; i++) {
                Objects.requireNonNull(bounds[i], "bounds[" + i + "]");
                if (bounds[i].isNegative() || bounds[i].isZero()) {
                    throw new IllegalArgumentException("metrics.buckets: " + bounds[i] + " (expected: > 0)");
                }
                if (i > 0 && bounds[i].compareTo(bounds[i - 1]) <= 0) {
                    throw new IllegalArgumentException("metrics.buckets: " + bounds[i] + " after " + bounds[i - 1]
                            + " (expected: increasing)");
                }
            }
            this.buckets = bounds.clone();
            return this;
        }

        public GatewayMetrics build() {
            return new GatewayMetrics(registry, Arrays.copyOf(buckets, buckets.length));
        }
    }
}
