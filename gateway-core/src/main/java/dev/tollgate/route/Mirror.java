package dev.tollgate.route;

import java.util.Objects;

/**
 * Traffic mirroring: a share of a route's requests is also sent to a shadow upstream, fire and
 * forget. The shadow's response is read and discarded; its latency or failure never changes the
 * primary response. Immutable and thread-safe; start one with {@link #to(String)}.
 *
 * <p>This round mirrors only requests without a body (no {@code Transfer-Encoding}, no
 * {@code Content-Length} or {@code Content-Length: 0}); the percentage applies to those. The copy
 * carries the client's method, forwarded path, query and headers (forwarding headers as for the
 * primary) plus {@code X-Mirrored: true}. At most {@link #maxConcurrent()} copies of one route are in
 * flight; beyond that a copy is dropped, never queued.
 */
public final class Mirror {

    private final String upstream;
    private final int percent;
    private final int maxConcurrent;

    private Mirror(Builder b) {
        this.upstream = b.upstream;
        this.percent = b.percent;
        this.maxConcurrent = b.maxConcurrent;
    }

    /** Mirrors to the named upstream (checked by the gateway's {@code build()}). */
    public static Builder to(String upstream) {
        return new Builder(Objects.requireNonNull(upstream, "upstream"));
    }

    /** The shadow upstream's name. */
    public String upstream() {
        return upstream;
    }

    /** The share of eligible requests that are copied, 1..100. Default 100. */
    public int percent() {
        return percent;
    }

    /** The most copies of this route in flight at once. Default 32. */
    public int maxConcurrent() {
        return maxConcurrent;
    }

    @Override
    public String toString() {
        return "Mirror[" + upstream + " " + percent + "% max " + maxConcurrent + "]";
    }

    /** Builds a {@link Mirror}. Not thread-safe. */
    public static final class Builder {
        private final String upstream;
        private int percent = 100;
        private int maxConcurrent = 32;

        private Builder(String upstream) {
            this.upstream = upstream;
        }

        /**
         * The share of eligible requests to copy, counted exactly: with 10, every tenth request. Default 100.
         *
         * @throws IllegalArgumentException outside 1..100
         */
        public Builder percent(int percent) {
            if (percent < 1 || percent > 100) {
                throw new IllegalArgumentException("mirror.percent: " + percent + " (expected: 1..100)");
            }
            this.percent = percent;
            return this;
        }

        /**
         * The most copies in flight at once for this route; more are dropped. Default 32.
         *
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxConcurrent(int maxConcurrent) {
            if (maxConcurrent < 1) {
                throw new IllegalArgumentException("mirror.maxConcurrent: " + maxConcurrent + " (expected: >= 1)");
            }
            this.maxConcurrent = maxConcurrent;
            return this;
        }

        public Mirror build() {
            return new Mirror(this);
        }
    }
}
