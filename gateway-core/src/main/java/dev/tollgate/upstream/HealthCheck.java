package dev.tollgate.upstream;

import dev.tollgate.internal.Checks;

import java.time.Duration;
import java.util.BitSet;
import java.util.Objects;

/**
 * An active HTTP health check for every endpoint of an upstream. Immutable and thread-safe; build one
 * with {@link #http(String)}. The gateway sends {@code method path} to each endpoint every
 * {@link #interval()} (±10% jitter, so endpoints and gateways do not probe in lockstep) with the JDK
 * {@code HttpClient}, off the request path. An endpoint starts healthy; it turns unhealthy after
 * {@link #unhealthyThreshold()} failed checks in a row (an unexpected status, a connect error or
 * {@link #timeout()}) and healthy again after {@link #healthyThreshold()} passed checks in a row.
 */
public final class HealthCheck {

    private final String method;
    private final String path;
    private final Duration interval;
    private final Duration timeout;
    private final int healthyThreshold;
    private final int unhealthyThreshold;
    private final BitSet expected;

    private HealthCheck(Builder b) {
        this.method = b.method;
        this.path = b.path;
        this.interval = b.interval;
        this.timeout = b.timeout;
        this.healthyThreshold = b.healthyThreshold;
        this.unhealthyThreshold = b.unhealthyThreshold;
        this.expected = (BitSet) b.expected.clone();
    }

    /**
     * Starts a check that sends {@code GET path}.
     *
     * @param path absolute path and optional query, e.g. {@code /health}
     * @throws IllegalArgumentException if the path is not absolute or has a space or fragment
     */
    public static Builder http(String path) {
        return new Builder(path);
    }

    /** The request method. Default {@code GET}. */
    public String method() {
        return method;
    }

    /** The path (and query) requested on each endpoint. */
    public String path() {
        return path;
    }

    /** Time between two checks of one endpoint, before jitter of ±10%. Default 5 s. */
    public Duration interval() {
        return interval;
    }

    /** How long a check may take, connect included, before it counts as failed. Default 1 s. */
    public Duration timeout() {
        return timeout;
    }

    /** Passed checks in a row that make an unhealthy endpoint healthy again. Default 2. */
    public int healthyThreshold() {
        return healthyThreshold;
    }

    /** Failed checks in a row that make a healthy endpoint unhealthy. Default 3. */
    public int unhealthyThreshold() {
        return unhealthyThreshold;
    }

    /** Whether a check answered with {@code status} passes. Default: 200..399. */
    public boolean expects(int status) {
        return status >= 0 && expected.get(status);
    }

    @Override
    public String toString() {
        return "HealthCheck[" + method + " " + path + " every " + interval + " timeout " + timeout
                + " healthy " + healthyThreshold + " unhealthy " + unhealthyThreshold + " expect " + expected + "]";
    }

    /** Builds a {@link HealthCheck}. Not thread-safe. */
    public static final class Builder {
        private String method = "GET";
        private final String path;
        private Duration interval = Duration.ofSeconds(5);
        private Duration timeout = Duration.ofSeconds(1);
        private int healthyThreshold = 2;
        private int unhealthyThreshold = 3;
        private final BitSet expected = new BitSet(600);

        private Builder(String path) {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/") || path.contains(" ") || path.contains("#")) {
                throw new IllegalArgumentException("healthCheck.path: '" + path + "' (expected: an absolute path such as /health)");
            }
            this.path = path;
            expected.set(200, 400);
        }

        /** The request method, e.g. {@code HEAD}. Default {@code GET}. @throws IllegalArgumentException if not a token */
        public Builder method(String method) {
            Objects.requireNonNull(method, "method");
            if (!method.matches("[A-Z]+")) {
                throw new IllegalArgumentException("healthCheck.method: '" + method + "' (expected: an upper-case method such as GET or HEAD)");
            }
            this.method = method;
            return this;
        }

        /** Time between checks of one endpoint, jittered by ±10%. Default 5 s. @throws IllegalArgumentException if under 10 ms */
        public Builder interval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.compareTo(Duration.ofMillis(10)) < 0) {
                throw new IllegalArgumentException("healthCheck.interval: " + interval + " (expected: >= PT0.01S)");
            }
            this.interval = interval;
            return this;
        }

        /** Time a check may take. Default 1 s. @throws IllegalArgumentException unless > 0 */
        public Builder timeout(Duration timeout) {
            this.timeout = Checks.positive("healthCheck.timeout", timeout);
            return this;
        }

        /** Passed checks in a row to turn healthy. Default 2. @throws IllegalArgumentException unless 1..100 */
        public Builder healthyThreshold(int checks) {
            this.healthyThreshold = Checks.range("healthCheck.healthyThreshold", checks, 1, 100);
            return this;
        }

        /** Failed checks in a row to turn unhealthy. Default 3. @throws IllegalArgumentException unless 1..100 */
        public Builder unhealthyThreshold(int checks) {
            this.unhealthyThreshold = Checks.range("healthCheck.unhealthyThreshold", checks, 1, 100);
            return this;
        }

        /**
         * The statuses that pass, replacing the default 200..399.
         *
         * @throws IllegalArgumentException if none is given or one is outside 100..599
         */
        public Builder expectedStatuses(int... statuses) {
            Objects.requireNonNull(statuses, "statuses");
            if (statuses.length == 0) {
                throw new IllegalArgumentException("healthCheck.expectedStatuses: [] (expected: at least one status)");
            }
            for (int s : statuses) {
                Checks.range("healthCheck.expectedStatuses", s, 100, 599);
            }
            expected.clear();
            for (int s : statuses) {
                expected.set(s);
            }
            return this;
        }

        /**
         * The range of statuses that pass, both ends included, replacing the default 200..399.
         *
         * @throws IllegalArgumentException if an end is outside 100..599 or {@code from > to}
         */
        public Builder expectedStatuses(int from, int to) {
            Checks.range("healthCheck.expectedStatuses.from", from, 100, 599);
            Checks.range("healthCheck.expectedStatuses.to", to, from, 599);
            expected.clear();
            expected.set(from, to + 1);
            return this;
        }

        /** Validates and builds. @throws IllegalStateException if the timeout is longer than the interval */
        public HealthCheck build() {
            if (timeout.compareTo(interval) > 0) {
                throw new IllegalStateException("healthCheck.timeout: " + timeout + " is longer than the interval "
                        + interval + " (expected: <= interval)");
            }
            return new HealthCheck(this);
        }
    }
}
