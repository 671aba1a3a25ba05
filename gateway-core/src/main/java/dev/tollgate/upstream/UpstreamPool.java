package dev.tollgate.upstream;

import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.tls.internal.ClientSsl;
import dev.tollgate.upstream.internal.EndpointState;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The run-time handle of an upstream inside a running gateway: its current endpoints, which can be
 * replaced while traffic flows. Thread-safe.
 *
 * <p>Changing the endpoint set never drops a request: requests already sent to an endpoint that is
 * removed finish normally, its pooled connections close once they are idle, and new requests go only
 * to the endpoints of the new set.
 *
 * <p>Health: each endpoint is available while its active {@link HealthCheck} (if any) holds it healthy
 * and {@link OutlierDetection} has not ejected it. Requests go only to available endpoints; when none
 * is, the upstream's {@link NoneHealthy} choice applies. The balancer gets a picker over the available
 * endpoints, rebuilt only when availability changes, so a pick in the steady state allocates nothing.
 */
public final class UpstreamPool {

    private static final Logger log = LoggerFactory.getLogger(UpstreamPool.class);
    private static final long NO_RETURN = Long.MIN_VALUE;

    private final String name;
    private final boolean required;
    private final Consumer<EndpointState> onRemoved;
    private final Object lock = new Object();
    private final LoadBalancer balancer;
    private final HealthCheck healthCheck;
    private final OutlierDetection outlier;
    private final NoneHealthy whenNoneHealthy;
    private final GatewayListener events;
    private final ClientSsl ssl;
    private final dev.tollgate.tls.UpstreamTls tls;
    private final Upstream spec;
    // replaced as a whole; readers on IO threads take one snapshot per request
    private volatile Snapshot snapshot;

    /**
     * One endpoint set with its candidates' view and the balancer's picker for it, plus the health view:
     * the endpoints requests go to ({@code route}, a subset of {@code states} or all of them in panic),
     * their picker, how many are available and when the next ejection ends.
     */
    private record Snapshot(EndpointState[] states, List<Candidate> candidates, LoadBalancer.Picker picker,
                            Map<URI, EndpointState> byUri, EndpointState[] route, LoadBalancer.Picker routePicker,
                            int available, long nextReturnNanos) {
    }

    /** A change of availability to report once the lock is released. */
    private record Change(Endpoint endpoint, boolean available, String reason) {
    }

    /**
     * Used by the gateway; applications get pools from {@code Gateway.upstream(name)}.
     *
     * @param onRemoved called (on the changing thread) for each endpoint that leaves the set
     */
    public UpstreamPool(Upstream spec, Consumer<EndpointState> onRemoved) {
        this(spec, onRemoved, new GatewayListener() {
        });
    }

    /**
     * Used by the gateway.
     *
     * @param onRemoved called (on the changing thread) for each endpoint that leaves the set
     * @param events told of every change of an endpoint's availability
     */
    public UpstreamPool(Upstream spec, Consumer<EndpointState> onRemoved, GatewayListener events) {
        this.name = spec.name();
        this.spec = spec;
        this.required = spec.required();
        this.onRemoved = Objects.requireNonNull(onRemoved, "onRemoved");
        this.events = Objects.requireNonNull(events, "events");
        this.balancer = spec.loadBalancer();
        this.healthCheck = spec.healthCheck().orElse(null);
        this.outlier = spec.outlierDetection();
        this.whenNoneHealthy = spec.whenNoneHealthy();
        this.tls = spec.tls().orElse(null);
        this.ssl = new ClientSsl(tls);
        this.snapshot = snapshot(spec.endpoints().stream().map(e -> newState(e)).toArray(EndpointState[]::new));
    }

    public String name() {
        return name;
    }

    // the TLS of an https endpoint is set up here, off the IO threads, not on its first connect
    private EndpointState newState(Endpoint e) {
        if (e.tls()) {
            ssl.get();
        }
        return new EndpointState(e, ssl);
    }

    /** The spec the upstream was built from (its resilience policies; its endpoints may have changed since). */
    public Upstream spec() {
        return spec;
    }

    /** Whether readiness depends on this upstream. */
    public boolean required() {
        return required;
    }

    /** The upstream's TLS for {@code https} endpoints, if it has its own. */
    public Optional<dev.tollgate.tls.UpstreamTls> tls() {
        return Optional.ofNullable(tls);
    }

    /** The active health check, if the upstream has one. */
    public Optional<HealthCheck> healthCheck() {
        return Optional.ofNullable(healthCheck);
    }

    /** What requests get when no endpoint is available. */
    public NoneHealthy whenNoneHealthy() {
        return whenNoneHealthy;
    }

    /** How many endpoints are available now (healthy and not ejected). Thread-safe; never blocks for long. */
    public int availableCount() {
        return current().available;
    }

    /** The endpoints available now, in order. Thread-safe. */
    public List<Endpoint> availableEndpoints() {
        List<Endpoint> list = new ArrayList<>();
        for (EndpointState s : current().states) {
            if (s.available()) {
                list.add(s.endpoint());
            }
        }
        return List.copyOf(list);
    }

    /** Whether the upstream has endpoints but none is available. Thread-safe; allocates nothing. */
    public boolean noneAvailable() {
        Snapshot s = current();
        return s.states.length > 0 && s.available == 0;
    }

    /** The current endpoints. */
    public List<Endpoint> endpoints() {
        EndpointState[] current = snapshot.states;
        List<Endpoint> list = new ArrayList<>(current.length);
        for (EndpointState s : current) {
            list.add(s.endpoint());
        }
        return List.copyOf(list);
    }

    /**
     * Replaces the endpoint set. Endpoints whose URI stays keep their connections (a changed weight
     * applies at once); endpoints that leave drain. An empty set is allowed: requests then get 503.
     *
     * @throws IllegalStateException if a URI is listed twice
     * @throws RuntimeException whatever the load balancer throws to refuse the set; nothing changes then
     */
    public void replaceEndpoints(Collection<Endpoint> next) {
        List<Endpoint> list = List.copyOf(next);
        Upstream.checkDistinct(name, list);
        List<EndpointState> removed = new ArrayList<>();
        synchronized (lock) {
            Map<URI, EndpointState> old = new HashMap<>();
            for (EndpointState s : snapshot.states) {
                old.put(s.endpoint().uri(), s);
            }
            EndpointState[] fresh = new EndpointState[list.size()];
            Map<EndpointState, Endpoint> previousSpecs = new HashMap<>();
            for (int i = 0; i < fresh.length; i++) {
                Endpoint e = list.get(i);
                EndpointState kept = old.remove(e.uri());
                if (kept != null) {
                    previousSpecs.put(kept, kept.endpoint());
                    kept.endpoint(e);
                    fresh[i] = kept;
                } else {
                    fresh[i] = newState(e);
                }
            }
            try {
                snapshot = snapshot(fresh);
            } catch (RuntimeException e) {
                // the balancer refused the set: it stays as it was, weights included
                previousSpecs.forEach(EndpointState::endpoint);
                throw e;
            }
            removed.addAll(old.values());
        }
        for (EndpointState s : removed) {
            s.markRemoved();
            onRemoved.accept(s);
        }
    }

    /** Adds an endpoint, or updates its weight if its URI is already present. */
    public void addEndpoint(Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        synchronized (lock) {
            List<Endpoint> list = new ArrayList<>(endpoints());
            list.removeIf(e -> e.uri().equals(endpoint.uri()));
            list.add(endpoint);
            replaceEndpoints(list);
        }
    }

    /** Removes the endpoint with this URI (it drains). @return whether it was present */
    public boolean removeEndpoint(URI uri) {
        Objects.requireNonNull(uri, "uri");
        URI normal = Endpoint.of(uri, 1).uri();
        synchronized (lock) {
            List<Endpoint> list = new ArrayList<>(endpoints());
            boolean present = list.removeIf(e -> e.uri().equals(normal));
            if (present) {
                replaceEndpoints(list);
            }
            return present;
        }
    }

    /**
     * Picks the endpoint for this request with the upstream's {@link LoadBalancer}, or null when the
     * set is empty or the balancer declines. Called on IO threads; thread-safe and lock-free unless the
     * balancer takes a lock.
     */
    public EndpointState pick(HttpServerExchange exchange) {
        Snapshot s = current();
        EndpointState[] route = s.route;
        if (route.length == 0) {
            return null;
        }
        int i = s.routePicker.pick(exchange);
        return i < 0 || i >= route.length ? null : route[i];
    }

    /**
     * Records the result of one active check of an endpoint. Called on a health-check thread.
     *
     * @param detail what the check saw, for the health event when this turns the endpoint unhealthy
     */
    public void recordCheck(EndpointState state, boolean passed, String detail) {
        HealthCheck hc = healthCheck;
        if (hc == null) {
            return;
        }
        List<Change> changes = new ArrayList<>(0);
        synchronized (lock) {
            if (state.removed()) {
                return;
            }
            boolean changed = false;
            if (passed) {
                state.checkFailures = 0;
                if (!state.checkHealthy && ++state.checkPasses >= hc.healthyThreshold()) {
                    state.checkHealthy = true;
                    state.checkPasses = 0;
                    state.reason = "health check passed " + hc.healthyThreshold() + " time(s) in a row";
                    changed = true;
                }
            } else {
                state.checkPasses = 0;
                if (state.checkHealthy && ++state.checkFailures >= hc.unhealthyThreshold()) {
                    state.checkHealthy = false;
                    state.checkFailures = 0;
                    state.reason = "health check failed " + hc.unhealthyThreshold() + " time(s) in a row: " + detail;
                    changed = true;
                }
            }
            if (changed) {
                Snapshot s = snapshot;
                snapshot = withHealth(s.states, s.candidates, s.picker, s.byUri, changes);
            }
        }
        report(changes);
    }

    /**
     * Feeds passive outlier detection with the outcome of one attempt. Called on the IO thread that ran
     * the attempt; lock-free and allocation-free unless it ejects.
     */
    public void recordOutcome(Endpoint endpoint, AttemptOutcome outcome, int status) {
        if (!outlier.enabled() || endpoint == null) {
            return;
        }
        EndpointState s = snapshot.byUri.get(endpoint.uri());
        if (s == null || s.ejected) {
            return;
        }
        switch (outcome) {
            case RESPONSE -> {
                if (status >= 500) {
                    if (s.consecutive5xx.incrementAndGet() >= outlier.consecutive5xx()) {
                        eject(s, outlier.consecutive5xx() + " consecutive 5xx responses");
                    }
                } else {
                    if (s.consecutive5xx.get() != 0) {
                        s.consecutive5xx.set(0);
                    }
                    if (s.consecutiveGatewayFailures.get() != 0) {
                        s.consecutiveGatewayFailures.set(0);
                    }
                }
            }
            case CONNECT_FAILED, CONNECT_TIMEOUT, RESPONSE_TIMEOUT, UPSTREAM_RESET -> {
                if (s.consecutiveGatewayFailures.incrementAndGet() >= outlier.consecutiveGatewayFailures()) {
                    eject(s, outlier.consecutiveGatewayFailures() + " consecutive gateway failures (last: " + outcome + ")");
                }
            }
            default -> {
                // pool exhaustion, client aborts and missing endpoints say nothing about the endpoint
            }
        }
    }

    private void eject(EndpointState s, String why) {
        List<Change> changes = new ArrayList<>(1);
        synchronized (lock) {
            s.consecutive5xx.set(0);
            s.consecutiveGatewayFailures.set(0);
            Snapshot cur = snapshot;
            if (s.removed() || s.ejected || cur.byUri.get(s.endpoint().uri()) != s) {
                return;
            }
            long now = System.nanoTime();
            int ejectedNow = 0;
            for (EndpointState e : cur.states) {
                if (e.ejected && now - e.ejectedUntilNanos < 0) {
                    ejectedNow++;
                }
            }
            int maxEjected = Math.max(1, cur.states.length * outlier.maxEjectionPercent() / 100);
            if (ejectedNow >= maxEjected) {
                log.debug("upstream '{}': not ejecting {} ({}): {} of {} endpoints already ejected (max {}%)",
                        name, s.endpoint(), why, ejectedNow, cur.states.length, outlier.maxEjectionPercent());
                return;
            }
            long base = outlier.baseEjectionTime().toNanos();
            long max = outlier.maxEjectionTime().toNanos();
            if (s.ejectionCount > 0 && s.returnedAtNanos != 0) {
                // one ejection forgiven per base time spent in since the last one ended
                long forgiven = (now - s.returnedAtNanos) / base;
                s.ejectionCount = (int) Math.max(0, s.ejectionCount - forgiven);
            }
            s.ejectionCount = Math.min(s.ejectionCount + 1, (int) Math.min(Integer.MAX_VALUE, max / base + 1));
            long time = Math.min(base * s.ejectionCount, max);
            s.ejected = true;
            s.ejectedUntilNanos = now + time;
            s.reason = "ejected for " + java.time.Duration.ofNanos(time) + " after " + why;
            snapshot = withHealth(cur.states, cur.candidates, cur.picker, cur.byUri, changes);
        }
        report(changes);
    }

    /** The snapshot, first returning endpoints whose ejection time is over. */
    private Snapshot current() {
        Snapshot s = snapshot;
        if (s.nextReturnNanos != NO_RETURN && System.nanoTime() - s.nextReturnNanos >= 0) {
            List<Change> changes = new ArrayList<>(1);
            synchronized (lock) {
                s = snapshot;
                if (s.nextReturnNanos != NO_RETURN && System.nanoTime() - s.nextReturnNanos >= 0) {
                    s = withHealth(s.states, s.candidates, s.picker, s.byUri, changes);
                    snapshot = s;
                }
            }
            report(changes);
        }
        return s;
    }

    private void report(List<Change> changes) {
        for (Change c : changes) {
            if (c.available) {
                log.info("upstream '{}': endpoint {} is available again ({})", name, c.endpoint, c.reason);
            } else {
                log.warn("upstream '{}': endpoint {} gets no traffic ({})", name, c.endpoint, c.reason);
            }
            try {
                events.endpointHealthChanged(name, c.endpoint, c.available, c.reason);
            } catch (RuntimeException e) {
                log.warn("listener failed on endpointHealthChanged", e);
            }
        }
    }

    /** The load balancer's view of the current endpoint set, in order. Thread-safe. */
    public List<Candidate> candidates() {
        return snapshot.candidates;
    }

    /** The current endpoint states, for the gateway's internals (readiness, shutdown). */
    public EndpointState[] states() {
        return snapshot.states;
    }

    // under the lock (or in the constructor); changes of availability are reported by the caller
    private Snapshot snapshot(EndpointState[] states) {
        Candidate[] candidates = new Candidate[states.length];
        Map<URI, EndpointState> byUri = new HashMap<>();
        for (int i = 0; i < states.length; i++) {
            candidates[i] = new Candidate(states[i]);
            byUri.put(states[i].endpoint().uri(), states[i]);
        }
        List<Candidate> list = List.of(candidates);
        LoadBalancer.Picker picker = states.length == 0 ? exchange -> -1
                : Objects.requireNonNull(balancer.picker(list), () -> balancer + ": picker is null");
        List<Change> ignored = new ArrayList<>();
        Snapshot s = withHealth(states, list, picker, Map.copyOf(byUri), ignored);
        if (!ignored.isEmpty() && snapshot != null) {
            report(ignored);
        }
        return s;
    }

    /** The health view of one endpoint set, as of now; ends ejections whose time is over. Under the lock. */
    private Snapshot withHealth(EndpointState[] states, List<Candidate> candidates, LoadBalancer.Picker picker,
                                Map<URI, EndpointState> byUri, List<Change> changes) {
        long now = System.nanoTime();
        long nextReturn = NO_RETURN;
        List<Integer> up = new ArrayList<>(states.length);
        for (int i = 0; i < states.length; i++) {
            EndpointState s = states[i];
            if (s.ejected) {
                if (now - s.ejectedUntilNanos >= 0) {
                    s.ejected = false;
                    s.returnedAtNanos = now;
                    s.consecutive5xx.set(0);
                    s.consecutiveGatewayFailures.set(0);
                    s.reason = "ejection time over";
                } else if (nextReturn == NO_RETURN || s.ejectedUntilNanos - nextReturn < 0) {
                    nextReturn = s.ejectedUntilNanos;
                }
            }
            boolean available = s.available();
            if (available != s.reportedAvailable) {
                s.reportedAvailable = available;
                changes.add(new Change(s.endpoint(), available, s.reason));
            }
            if (available) {
                up.add(i);
            }
        }
        EndpointState[] route;
        LoadBalancer.Picker routePicker;
        if (up.size() == states.length || (up.isEmpty() && whenNoneHealthy == NoneHealthy.PANIC)) {
            route = states;
            routePicker = picker;
        } else if (up.isEmpty()) {
            route = new EndpointState[0];
            routePicker = exchange -> -1;
        } else {
            route = new EndpointState[up.size()];
            Candidate[] sub = new Candidate[up.size()];
            for (int j = 0; j < route.length; j++) {
                route[j] = states[up.get(j)];
                sub[j] = candidates.get(up.get(j));
            }
            LoadBalancer.Picker p;
            try {
                p = Objects.requireNonNull(balancer.picker(List.of(sub)), () -> balancer + ": picker is null");
            } catch (RuntimeException e) {
                // a balancer that refuses the healthy subset: better all endpoints than none
                log.warn("upstream '{}': {} refused the available endpoints; using all of them", name, balancer, e);
                route = states;
                p = picker;
            }
            routePicker = p;
        }
        return new Snapshot(states, candidates, picker, byUri, route, routePicker, up.size(), nextReturn);
    }

    @Override
    public String toString() {
        return "UpstreamPool[" + name + " " + endpoints() + "]";
    }
}
