package dev.tollgate.upstream;

import dev.tollgate.internal.Cookies;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.ResponseCommitListener;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** The built-in load balancers and the hashing they share. Package-private: the API is {@link LoadBalancer}. */
final class Balancers {

    private Balancers() {
    }

    // the picker of a set of one: no state, no lock
    private static final LoadBalancer.Picker FIRST = exchange -> 0;

    static final LoadBalancer ROUND_ROBIN = named("roundRobin", c -> c.size() == 1 ? FIRST : new RoundRobin(c.size()));
    static final LoadBalancer WEIGHTED_ROUND_ROBIN = named("weightedRoundRobin", Balancers::smoothWeighted);
    static final LoadBalancer LEAST_REQUEST = named("leastRequest", c -> c.size() == 1 ? FIRST : new LeastRequest(c));
    static final LoadBalancer RANDOM = named("random", c -> c.size() == 1 ? FIRST : new WeightedRandom(weights(c)));

    private static LoadBalancer named(String name, LoadBalancer balancer) {
        return new LoadBalancer() {
            @Override
            public Picker picker(List<Candidate> candidates) {
                return balancer.picker(candidates);
            }

            @Override
            public String toString() {
                return "LoadBalancer." + name + "()";
            }
        };
    }

    static int[] weights(List<Candidate> candidates) {
        int[] w = new int[candidates.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = candidates.get(i).endpoint().weight();
        }
        return w;
    }

    // --- round robin ---------------------------------------------------------------------------

    static final class RoundRobin implements LoadBalancer.Picker {
        private final int size;
        private final AtomicInteger turn = new AtomicInteger();

        RoundRobin(int size) {
            this.size = size;
        }

        @Override
        public int pick(HttpServerExchange exchange) {
            return (turn.getAndIncrement() & Integer.MAX_VALUE) % size;
        }
    }

    // --- smooth weighted round robin -------------------------------------------------------------

    /** The longest cycle that is precomputed; longer ones run nginx's loop under the picker's lock. */
    static final int MAX_PRECOMPUTED_CYCLE = 1 << 16;

    static LoadBalancer.Picker smoothWeighted(List<Candidate> candidates) {
        if (candidates.size() == 1) {
            return FIRST;
        }
        int[] weights = weights(candidates);
        int gcd = 0;
        long total = 0;
        for (int w : weights) {
            gcd = gcd(gcd, w);
            total += w;
        }
        if (total / gcd == weights.length) {
            return new RoundRobin(weights.length); // equal weights: the same order, for a counter's cost
        }
        if (total / gcd > MAX_PRECOMPUTED_CYCLE) {
            return new LiveSmoothWeighted(weights);
        }
        LiveSmoothWeighted live = new LiveSmoothWeighted(weights);
        int[] cycle = new int[(int) (total / gcd)];
        for (int i = 0; i < cycle.length; i++) {
            cycle[i] = live.pick(null);
        }
        return new Cycle(cycle);
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** One precomputed cycle of smooth WRR, walked by a shared counter: no lock. */
    static final class Cycle implements LoadBalancer.Picker {
        private final int[] order;
        private final AtomicInteger turn = new AtomicInteger();

        Cycle(int[] order) {
            this.order = order;
        }

        @Override
        public int pick(HttpServerExchange exchange) {
            return order[(turn.getAndIncrement() & Integer.MAX_VALUE) % order.length];
        }
    }

    /**
     * nginx's smooth weighted round robin: each pick adds every weight to its current value, takes
     * the largest and subtracts the total from it, which spreads the heavy endpoint's turns evenly.
     */
    static final class LiveSmoothWeighted implements LoadBalancer.Picker {
        private final int[] weights;
        private final long[] current;
        private final long total;

        LiveSmoothWeighted(int[] weights) {
            this.weights = weights;
            this.current = new long[weights.length];
            long t = 0;
            for (int w : weights) {
                t += w;
            }
            this.total = t;
        }

        @Override
        public synchronized int pick(HttpServerExchange exchange) {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            return best;
        }
    }

    // --- random and least request ----------------------------------------------------------------

    /** Draws an index in proportion to weight: uniform when the weights are equal, else a binary search. */
    static final class WeightedRandom implements LoadBalancer.Picker {
        private final int size;
        private final long[] cumulative; // null when all weights are equal

        WeightedRandom(int[] weights) {
            this.size = weights.length;
            boolean equal = true;
            long[] c = new long[weights.length];
            long sum = 0;
            for (int i = 0; i < weights.length; i++) {
                equal &= weights[i] == weights[0];
                sum += weights[i];
                c[i] = sum;
            }
            this.cumulative = equal ? null : c;
        }

        @Override
        public int pick(HttpServerExchange exchange) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            if (cumulative == null) {
                return random.nextInt(size);
            }
            long r = random.nextLong(cumulative[cumulative.length - 1]);
            int i = Arrays.binarySearch(cumulative, r);
            // cumulative[i] is the exclusive upper bound of endpoint i's range
            return i < 0 ? -i - 1 : i + 1;
        }
    }

    static final class LeastRequest implements LoadBalancer.Picker {
        private final Candidate[] array;
        private final int[] weights;
        private final WeightedRandom first;

        LeastRequest(List<Candidate> candidates) {
            this.array = candidates.toArray(new Candidate[0]);
            this.weights = weights(candidates);
            this.first = new WeightedRandom(weights);
        }

        @Override
        public int pick(HttpServerExchange exchange) {
            int a = first.pick(exchange);
            int n = array.length;
            int b = (a + 1 + ThreadLocalRandom.current().nextInt(n - 1)) % n;
            // fewer in flight per unit of weight wins: inA / wA <= inB / wB, without division
            long loadA = (long) array[a].inFlight() * weights[b];
            long loadB = (long) array[b].inFlight() * weights[a];
            return loadB < loadA ? b : a;
        }
    }

    // --- consistent hashing ----------------------------------------------------------------------

    /** Virtual nodes per unit of weight while the ring stays under {@link #MAX_RING_POINTS}. */
    static final int POINTS_PER_WEIGHT = 256;
    static final int MAX_RING_POINTS = 1 << 20;

    static final class ConsistentHash implements LoadBalancer {
        private final HashKey key;

        ConsistentHash(HashKey key) {
            this.key = key;
        }

        @Override
        public Picker picker(List<Candidate> candidates) {
            return new Ring(key, candidates);
        }

        @Override
        public String toString() {
            return "LoadBalancer.consistentHash(" + key + ")";
        }
    }

    static final class Ring implements LoadBalancer.Picker {
        private final HashKey key;
        private final long[] points;
        private final int[] owners;
        private final RoundRobin fallback;

        Ring(HashKey key, List<Candidate> candidates) {
            this.key = key;
            this.fallback = new RoundRobin(candidates.size());
            int[] weights = weights(candidates);
            long totalWeight = 0;
            for (int w : weights) {
                totalWeight += w;
            }
            // a point's place depends only on its endpoint's URI and ordinal, so a set change moves
            // only the keys of the points that come or go
            int perWeight = (int) Math.max(1, Math.min(POINTS_PER_WEIGHT, MAX_RING_POINTS / totalWeight));
            int count = 0;
            for (int w : weights) {
                count += w * perWeight;
            }
            long[] hashes = new long[count];
            int k = 0;
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < weights.length; i++) {
                String uri = candidates.get(i).endpoint().uri().toString();
                for (int v = 0; v < weights[i] * perWeight; v++) {
                    sb.setLength(0);
                    sb.append(uri).append('#').append(v);
                    hashes[k] = hash(sb, 0, sb.length());
                    k++;
                }
            }
            // sort the point indices by hash; owners follow
            Integer[] order = new Integer[count];
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (x, y) -> Long.compare(hashes[x], hashes[y]));
            int[] ownerOfPoint = new int[count];
            k = 0;
            for (int i = 0; i < weights.length; i++) {
                for (int v = 0; v < weights[i] * perWeight; v++) {
                    ownerOfPoint[k++] = i;
                }
            }
            this.points = new long[count];
            this.owners = new int[count];
            for (int i = 0; i < count; i++) {
                points[i] = hashes[order[i]];
                owners[i] = ownerOfPoint[order[i]];
            }
        }

        @Override
        public int pick(HttpServerExchange exchange) {
            long h = key.hash(exchange);
            if (h == HashKey.MISSING) {
                return fallback.pick(exchange);
            }
            return owners[successor(h)];
        }

        /** The index of the first point at or after {@code h}, wrapping round the ring. */
        private int successor(long h) {
            int i = Arrays.binarySearch(points, h);
            if (i < 0) {
                i = -i - 1;
            }
            return i == points.length ? 0 : i;
        }
    }

    // --- sticky sessions -------------------------------------------------------------------------

    /** The whole {@code Set-Cookie} value to add when the response commits. */
    static final AttachmentKey<String> STICKY_SET_COOKIE = AttachmentKey.create(String.class);

    private static final ResponseCommitListener ISSUE_COOKIE = exchange -> {
        String cookie = exchange.getAttachment(STICKY_SET_COOKIE);
        if (cookie != null) {
            exchange.getResponseHeaders().add(Headers.SET_COOKIE, cookie);
        }
    };

    static final class Sticky implements LoadBalancer {
        private final String cookieName;
        private final LoadBalancer fallback;

        Sticky(String cookieName, LoadBalancer fallback) {
            this.cookieName = cookieName;
            this.fallback = fallback;
        }

        @Override
        public Picker picker(List<Candidate> candidates) {
            return new StickyPicker(cookieName, candidates, fallback.picker(candidates));
        }

        @Override
        public String toString() {
            return "LoadBalancer.sticky(" + cookieName + ", " + fallback + ")";
        }
    }

    static final class StickyPicker implements LoadBalancer.Picker {
        private final String cookieName;
        private final Map<String, Integer> indexById = new HashMap<>();
        private final String[] ids;
        private final LoadBalancer.Picker fallback;

        StickyPicker(String cookieName, List<Candidate> candidates, LoadBalancer.Picker fallback) {
            this.cookieName = cookieName;
            this.fallback = fallback;
            this.ids = new String[candidates.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = stickyId(candidates.get(i).endpoint());
                indexById.putIfAbsent(ids[i], i);
            }
        }

        @Override
        public int pick(HttpServerExchange exchange) {
            String id = cookieValue(exchange, cookieName);
            if (id != null) {
                Integer pinned = indexById.get(id);
                if (pinned != null) {
                    return pinned;
                }
            }
            int chosen = fallback.pick(exchange);
            if (chosen >= 0 && chosen < ids.length) {
                String cookie = cookieName + "=" + ids[chosen] + "; Path=/; HttpOnly; SameSite=Lax"
                        + (exchange.isSecure() ? "; Secure" : "");
                // a repick for the same exchange replaces the value; the listener is added once
                if (exchange.putAttachment(STICKY_SET_COOKIE, cookie) == null) {
                    exchange.addResponseCommitListener(ISSUE_COOKIE);
                }
            }
            return chosen;
        }
    }

    /** The sticky cookie value for an endpoint: 12 hex digits of a hash of its URI. */
    static String stickyId(Endpoint endpoint) {
        String uri = endpoint.uri().toString();
        long h = hash(uri, 0, uri.length());
        String hex = Long.toHexString(h & 0xFFFF_FFFF_FFFFL);
        return "0".repeat(12 - hex.length()) + hex;
    }

    // --- cookies and hashing ---------------------------------------------------------------------

    /** The value of the first cookie with this name, unquoted, or null. */
    static String cookieValue(HttpServerExchange exchange, String name) {
        return Cookies.value(exchange, name);
    }

    /** Hashes a cookie's value; {@link HashKey#MISSING} when there is no such cookie. */
    static long hashCookie(HttpServerExchange exchange, String name) {
        String value = Cookies.value(exchange, name);
        return value == null ? HashKey.MISSING : hash(value, 0, value.length());
    }

    /** FNV-1a over the chars, then murmur3's finalizer for avalanche; never {@link HashKey#MISSING}. */
    static long hash(CharSequence s, int from, int to) {
        long h = 0xcbf29ce484222325L;
        for (int i = from; i < to; i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return fix(mix(h));
    }

    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    static long fix(long h) {
        return h == HashKey.MISSING ? 1 : h;
    }

}
