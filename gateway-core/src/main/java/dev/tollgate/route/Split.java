package dev.tollgate.route;

import dev.tollgate.upstream.HashKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A weighted split of one route between two or more upstreams, for canary releases (e.g. 95/5).
 * Immutable and thread-safe; start one with {@link #weighted()}.
 *
 * <p>How a request finds its side, in this order:
 * <ol>
 *   <li>{@link Builder#force(ForceBy)}: a header or cookie whose value is the name of one of the split's
 *       upstreams sends the request there. Any other value (unknown name, empty) is ignored, not
 *       refused, so a stale cookie after a canary ends does not break a client;
 *   <li>{@link Builder#stickyBy(HashKey)}: the key's hash is placed in the weight space, so one client
 *       stays on one side while the weights stay. Raising the last side's weight only moves clients
 *       from the other sides onto it, never back and forth;
 *   <li>otherwise by weight: a lock-free smooth weighted cycle, so every cycle of
 *       {@code sum(weights)/gcd(weights)} requests is split exactly by weight.
 * </ol>
 * The choice is attached to the exchange as a {@link SplitDecision}.
 */
public final class Split {

    /** One side of a split: an upstream by name and its weight (>= 1). */
    public record Side(String upstream, int weight) {
    }

    /** The largest weight of one side. */
    public static final int MAX_WEIGHT = 1_000_000;

    private final List<Side> sides;
    private final ForceBy force;
    private final HashKey stickyBy;
    private final String exposeHeader;

    private Split(Builder b) {
        this.sides = List.copyOf(b.sides);
        this.force = b.force;
        this.stickyBy = b.stickyBy;
        this.exposeHeader = b.exposeHeader;
    }

    /** Starts a weighted split; add at least two sides with {@link Builder#to(String, int)}. */
    public static Builder weighted() {
        return new Builder();
    }

    /** The sides in declaration order. */
    public List<Side> sides() {
        return sides;
    }

    /** Where a request can name its side. Default: none. */
    public Optional<ForceBy> force() {
        return Optional.ofNullable(force);
    }

    /** The key that keeps a client on one side. Default: none (every request split by weight). */
    public Optional<HashKey> stickyBy() {
        return Optional.ofNullable(stickyBy);
    }

    /** The response header that names the chosen upstream. Default: none. */
    public Optional<String> exposeHeader() {
        return Optional.ofNullable(exposeHeader);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Split[");
        for (int i = 0; i < sides.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(sides.get(i).upstream()).append('=').append(sides.get(i).weight());
        }
        return s.append(']').toString();
    }

    /** Builds a {@link Split}. Not thread-safe. */
    public static final class Builder {
        private final List<Side> sides = new ArrayList<>();
        private ForceBy force;
        private HashKey stickyBy;
        private String exposeHeader;

        private Builder() {
        }

        /**
         * Adds a side: requests go to {@code upstream} in proportion to {@code weight}.
         *
         * @throws IllegalArgumentException if the weight is outside 1..{@value #MAX_WEIGHT} or the
         *                                  upstream is already a side
         */
        public Builder to(String upstream, int weight) {
            Objects.requireNonNull(upstream, "upstream");
            if (weight < 1 || weight > MAX_WEIGHT) {
                throw new IllegalArgumentException("split.weight: " + weight + " for '" + upstream
                        + "' (expected: 1.." + MAX_WEIGHT + ")");
            }
            for (Side s : sides) {
                if (s.upstream().equals(upstream)) {
                    throw new IllegalArgumentException("split.to: '" + upstream + "' is already a side (expected: each upstream once)");
                }
            }
            sides.add(new Side(upstream, weight));
            return this;
        }

        /** Lets a header or cookie whose value names a side force that side; other values are ignored. */
        public Builder force(ForceBy force) {
            this.force = Objects.requireNonNull(force, "force");
            return this;
        }

        /** Keeps each client on one side by a hash of this key; requests without the key go by weight. */
        public Builder stickyBy(HashKey key) {
            this.stickyBy = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * Adds a response header naming the upstream that served the request (e.g.
         * {@code X-Served-By-Upstream}). Default: none, as it tells clients about the deployment.
         *
         * @throws IllegalArgumentException if the name is not an HTTP token
         */
        public Builder exposeHeader(String name) {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw new IllegalArgumentException("split.exposeHeader: '" + name + "' (expected: a header name, e.g. X-Served-By-Upstream)");
            }
            this.exposeHeader = name;
            return this;
        }

        /**
         * Validates and builds. Whether the upstreams exist is checked by the gateway's {@code build()}.
         *
         * @throws IllegalStateException with fewer than two sides
         */
        public Split build() {
            if (sides.size() < 2) {
                throw new IllegalStateException("split.sides: " + sides.size() + " (expected: at least 2; add them with .to(upstream, weight))");
            }
            return new Split(this);
        }
    }
}
