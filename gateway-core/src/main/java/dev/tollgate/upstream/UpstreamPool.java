package dev.tollgate.upstream;

import dev.tollgate.upstream.internal.EndpointState;
import io.undertow.server.HttpServerExchange;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The run-time handle of an upstream inside a running gateway: its current endpoints, which can be
 * replaced while traffic flows. Thread-safe.
 *
 * <p>Changing the endpoint set never drops a request: requests already sent to an endpoint that is
 * removed finish normally, its pooled connections close once they are idle, and new requests go only
 * to the endpoints of the new set.
 */
public final class UpstreamPool {

    private final String name;
    private final boolean required;
    private final Consumer<EndpointState> onRemoved;
    private final Object lock = new Object();
    private final LoadBalancer balancer;
    // replaced as a whole; readers on IO threads take one snapshot per request
    private volatile Snapshot snapshot;

    /** One endpoint set with its candidates' view and the balancer's picker for it. */
    private record Snapshot(EndpointState[] states, List<Candidate> candidates, LoadBalancer.Picker picker) {
    }

    /**
     * Used by the gateway; applications get pools from {@code Gateway.upstream(name)}.
     *
     * @param onRemoved called (on the changing thread) for each endpoint that leaves the set
     */
    public UpstreamPool(Upstream spec, Consumer<EndpointState> onRemoved) {
        this.name = spec.name();
        this.required = spec.required();
        this.onRemoved = Objects.requireNonNull(onRemoved, "onRemoved");
        this.balancer = spec.loadBalancer();
        this.snapshot = snapshot(spec.endpoints().stream().map(EndpointState::new).toArray(EndpointState[]::new));
    }

    public String name() {
        return name;
    }

    /** Whether readiness depends on this upstream. */
    public boolean required() {
        return required;
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
                    fresh[i] = new EndpointState(e);
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
        Snapshot s = snapshot;
        EndpointState[] states = s.states;
        if (states.length == 0) {
            return null;
        }
        int i = s.picker.pick(exchange);
        return i < 0 || i >= states.length ? null : states[i];
    }

    /** The load balancer's view of the current endpoint set, in order. Thread-safe. */
    public List<Candidate> candidates() {
        return snapshot.candidates;
    }

    /** The current endpoint states, for the gateway's internals (readiness, shutdown). */
    public EndpointState[] states() {
        return snapshot.states;
    }

    private Snapshot snapshot(EndpointState[] states) {
        Candidate[] candidates = new Candidate[states.length];
        for (int i = 0; i < states.length; i++) {
            candidates[i] = new Candidate(states[i]);
        }
        List<Candidate> list = List.of(candidates);
        LoadBalancer.Picker picker = states.length == 0 ? exchange -> -1
                : Objects.requireNonNull(balancer.picker(list), () -> balancer + ": picker is null");
        return new Snapshot(states, list, picker);
    }

    @Override
    public String toString() {
        return "UpstreamPool[" + name + " " + endpoints() + "]";
    }
}
