package dev.tollgate.upstream;

import dev.tollgate.upstream.internal.EndpointState;

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
    // replaced as a whole; readers on IO threads take one snapshot per request
    private volatile EndpointState[] endpoints;
    private final SmoothWeighted picker = new SmoothWeighted();

    /**
     * Used by the gateway; applications get pools from {@code Gateway.upstream(name)}.
     *
     * @param onRemoved called (on the changing thread) for each endpoint that leaves the set
     */
    public UpstreamPool(Upstream spec, Consumer<EndpointState> onRemoved) {
        this.name = spec.name();
        this.required = spec.required();
        this.onRemoved = Objects.requireNonNull(onRemoved, "onRemoved");
        this.endpoints = spec.endpoints().stream().map(EndpointState::new).toArray(EndpointState[]::new);
        picker.reset(endpoints);
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
        EndpointState[] current = endpoints;
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
     */
    public void replaceEndpoints(Collection<Endpoint> next) {
        List<Endpoint> list = List.copyOf(next);
        Upstream.checkDistinct(name, list);
        List<EndpointState> removed = new ArrayList<>();
        synchronized (lock) {
            Map<URI, EndpointState> old = new HashMap<>();
            for (EndpointState s : endpoints) {
                old.put(s.endpoint().uri(), s);
            }
            EndpointState[] fresh = new EndpointState[list.size()];
            for (int i = 0; i < fresh.length; i++) {
                Endpoint e = list.get(i);
                EndpointState kept = old.remove(e.uri());
                if (kept != null) {
                    kept.endpoint(e);
                    fresh[i] = kept;
                } else {
                    fresh[i] = new EndpointState(e);
                }
            }
            removed.addAll(old.values());
            endpoints = fresh;
            picker.reset(fresh);
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
     * Picks the endpoint for the next request (smooth weighted round robin), or null when the set is
     * empty. Thread-safe; called on IO threads.
     */
    public EndpointState pick() {
        return picker.next();
    }

    /** The current endpoint states, for the gateway's internals (readiness, shutdown). */
    public EndpointState[] states() {
        return endpoints;
    }

    /**
     * nginx's smooth weighted round robin: each pick adds every weight to its current value, takes the
     * largest and subtracts the total from it, which spreads the heavy endpoint's turns evenly. One
     * endpoint, or equal weights, need no lock: a plain counter gives the same order.
     */
    private static final class SmoothWeighted {
        private volatile EndpointState[] states = new EndpointState[0];
        private volatile boolean equalWeights = true;
        private final java.util.concurrent.atomic.AtomicInteger turn = new java.util.concurrent.atomic.AtomicInteger();
        private int[] current = new int[0];

        synchronized void reset(EndpointState[] fresh) {
            current = new int[fresh.length];
            boolean equal = true;
            for (EndpointState s : fresh) {
                equal &= s.endpoint().weight() == fresh[0].endpoint().weight();
            }
            equalWeights = equal;
            states = fresh;
        }

        EndpointState next() {
            EndpointState[] s = states;
            if (s.length <= 1) {
                return s.length == 0 ? null : s[0];
            }
            if (equalWeights) {
                return s[(turn.getAndIncrement() & Integer.MAX_VALUE) % s.length];
            }
            return nextWeighted();
        }

        private synchronized EndpointState nextWeighted() {
            EndpointState[] s = states;
            if (s.length == 0) {
                return null;
            }
            int total = 0;
            int best = -1;
            for (int i = 0; i < s.length; i++) {
                int w = s[i].endpoint().weight();
                current[i] += w;
                total += w;
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            return s[best];
        }
    }

    @Override
    public String toString() {
        return "UpstreamPool[" + name + " " + endpoints() + "]";
    }
}
