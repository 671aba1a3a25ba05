package dev.tollgate.upstream;

import dev.tollgate.internal.Checks;

import io.undertow.server.HttpServerExchange;

import java.util.List;
import java.util.Objects;

/**
 * Chooses the endpoint of an upstream for each request. The SPI has two steps: whenever the
 * upstream's endpoint set changes (at build time and on {@link UpstreamPool#replaceEndpoints}), the
 * gateway asks the balancer for a {@link Picker} over the new set; each request then asks that
 * picker for an index. A balancer is immutable and may serve many upstreams; all per-set state lives
 * in its pickers.
 *
 * <p>Built in: {@link #roundRobin()}, {@link #weightedRoundRobin()} (the default),
 * {@link #leastRequest()}, {@link #random()}, {@link #consistentHash(HashKey)} and
 * {@link #sticky(String, LoadBalancer)}. Every built-in one except {@link #roundRobin()} honours
 * endpoint weights.
 */
public interface LoadBalancer {

    /**
     * Builds the picker for one endpoint set. Called on the thread that changes the set (the builder's,
     * or the caller of {@link UpstreamPool#replaceEndpoints}), and again over the available subset
     * whenever an endpoint's availability changes (a health-check thread, or an IO thread when outlier
     * detection ejects or returns one); never concurrently for one upstream. A picker refused for a
     * subset falls back to the picker over all endpoints.
     *
     * @param candidates the endpoints of the new set in their order; never empty, unmodifiable; the
     *        index a picker returns refers to this list
     * @throws RuntimeException to refuse the set; the old set then stays in force
     */
    Picker picker(List<Candidate> candidates);

    /** Picks an endpoint of one fixed set for each request. */
    @FunctionalInterface
    interface Picker {
        /**
         * The index of the endpoint for this request, or -1 for none (the request then gets 503).
         * Called on an IO thread, concurrently from several IO threads: must be thread-safe, must not
         * block, and should not take a lock. It may read the request (headers, cookies, path) and may
         * add response-side hooks to the exchange, but must not send a response. May be called again
         * for the same exchange when the chosen endpoint was removed before the request reached it.
         */
        int pick(HttpServerExchange exchange);
    }

    /** Each endpoint in turn, ignoring weights. Lock-free. */
    static LoadBalancer roundRobin() {
        return Balancers.ROUND_ROBIN;
    }

    /**
     * nginx's smooth weighted round robin: over each cycle every endpoint gets exactly its weight's
     * share, and the heavy endpoint's turns are spread out instead of sent in a burst. The default.
     * Lock-free when the cycle (the sum of the weights divided by their greatest common divisor) is
     * at most 65,536 picks long, as it is precomputed; otherwise it synchronizes on the picker.
     */
    static LoadBalancer weightedRoundRobin() {
        return Balancers.WEIGHTED_ROUND_ROBIN;
    }

    /**
     * Least request with the power of two choices: draws one endpoint at random in proportion to
     * weight and a second one uniformly from the others, and takes the one with fewer in-flight
     * requests per unit of weight (the first on a tie, so an idle upstream is split by weight).
     * Lock-free.
     */
    static LoadBalancer leastRequest() {
        return Balancers.LEAST_REQUEST;
    }

    /** A random endpoint, drawn in proportion to weight. Lock-free. */
    static LoadBalancer random() {
        return Balancers.RANDOM;
    }

    /**
     * Consistent hashing on a ring with virtual nodes (256 per unit of weight while the upstream's
     * total weight is at most 4,096, fewer beyond): the same key goes to the same endpoint while the
     * set stays, an endpoint that joins takes only keys from the others in proportion to its weight,
     * and an endpoint that leaves hands on only its own keys. A request without the key (header or
     * cookie absent) falls back to round robin. Lock-free; a pick is one hash and a binary search.
     *
     * @throws NullPointerException if {@code key} is null
     */
    static LoadBalancer consistentHash(HashKey key) {
        return new Balancers.ConsistentHash(Objects.requireNonNull(key, "key"));
    }

    /**
     * Sticky sessions through a gateway-issued cookie. A request whose cookie names an endpoint of
     * the current set goes there; any other request (no cookie, or its endpoint is gone) is placed
     * by {@code fallback} and its response carries
     * {@code Set-Cookie: <cookieName>=<id>; Path=/; HttpOnly; SameSite=Lax} (plus {@code Secure} on a
     * TLS connection). The id is a short hash of the endpoint URI, so it does not reveal the backend
     * address and stays the same across gateway instances and restarts.
     *
     * @param cookieName an RFC 6265 cookie name (an HTTP token)
     * @param fallback places requests that are not pinned yet
     * @throws IllegalArgumentException if {@code cookieName} is not a token
     * @throws NullPointerException if an argument is null
     */
    static LoadBalancer sticky(String cookieName, LoadBalancer fallback) {
        Objects.requireNonNull(cookieName, "cookieName");
        Objects.requireNonNull(fallback, "fallback");
        if (!Checks.isToken(cookieName)) {
            throw new IllegalArgumentException("sticky.cookieName: '" + cookieName + "' (expected: an RFC 6265 token, e.g. TG_STICKY)");
        }
        return new Balancers.Sticky(cookieName, fallback);
    }
}
