package dev.tollgate.resilience;

import dev.tollgate.observe.AttemptOutcome;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * When a circuit breaker opens, how long it stays open and how it probes again. Immutable and
 * thread-safe; {@link #ofDefaults()}, {@link #disabled()} or {@link #builder()}.
 *
 * <p>Thresholds: {@link Builder#failureThreshold(int) consecutive failures} (the default: 5), or a
 * {@link Builder#failureRate(int, int, Duration) failure rate} over a time window once a minimum number
 * of calls was seen. When open, calls are refused for {@link #openFor()} without touching the network;
 * then up to {@link #halfOpenProbes()} trial calls go through at once, and the breaker closes when all
 * of them succeed and opens again on a failure. Unlike Failsafe's {@code ofDefaults()} (which opens
 * after one failure) every default here is explicit.
 *
 * <p>What counts as a failure: the attempt {@link #failureOutcomes() outcomes} (default: connect
 * failures and timeouts, response timeouts, resets) and the upstream {@link #failureStatuses() statuses}
 * (default 502, 503, 504). Everything else counts as a success; outcomes that say nothing about the
 * upstream (the client went away, no pooled connection was free) are not counted.
 */
public final class CircuitBreakerPolicy {

    /** Default consecutive failures that open the breaker. */
    public static final int DEFAULT_FAILURE_THRESHOLD = 5;
    /** Default time the breaker stays open. */
    public static final Duration DEFAULT_OPEN_FOR = Duration.ofSeconds(60);

    private static final CircuitBreakerPolicy DEFAULTS = builder().build();
    private static final CircuitBreakerPolicy DISABLED = new CircuitBreakerPolicy(builder(), false);

    private final boolean enabled;
    private final int failureThreshold;
    private final int failureRatePercent;
    private final int minimumCalls;
    private final Duration window;
    private final Duration openFor;
    private final int halfOpenProbes;
    private final Set<AttemptOutcome> failureOutcomes;
    private final Set<Integer> failureStatuses;
    private final boolean[] statusFails;

    private CircuitBreakerPolicy(Builder b, boolean enabled) {
        this.enabled = enabled;
        this.failureThreshold = b.failureThreshold;
        this.failureRatePercent = b.failureRatePercent;
        this.minimumCalls = b.minimumCalls;
        this.window = b.window;
        this.openFor = b.openFor;
        this.halfOpenProbes = b.halfOpenProbes;
        this.failureOutcomes = Set.copyOf(b.failureOutcomes);
        this.failureStatuses = java.util.Collections.unmodifiableSet(new TreeSet<>(b.failureStatuses));
        this.statusFails = table(failureStatuses);
    }

    /** 5 consecutive failures open it for 60 s; 1 half-open probe; failures: connect errors, timeouts, resets, 502/503/504. */
    public static CircuitBreakerPolicy ofDefaults() {
        return DEFAULTS;
    }

    /** No breaker: every call goes through. */
    public static CircuitBreakerPolicy disabled() {
        return DISABLED;
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean enabled() {
        return enabled;
    }

    /** Consecutive failures that open the breaker, or 0 when it is rate based. */
    public int failureThreshold() {
        return failureThreshold;
    }

    /** The failure rate (percent) that opens the breaker, or 0 when it is count based. */
    public int failureRatePercent() {
        return failureRatePercent;
    }

    /** Calls needed in the window before the rate is judged (rate based only). */
    public int minimumCalls() {
        return minimumCalls;
    }

    /** The window of the failure rate (rate based only). */
    public Duration window() {
        return window;
    }

    /** How long the breaker stays open before it lets probes through. Default 60 s. */
    public Duration openFor() {
        return openFor;
    }

    /** Trial calls let through at once while half-open; all must succeed to close. Default 1. */
    public int halfOpenProbes() {
        return halfOpenProbes;
    }

    public Set<AttemptOutcome> failureOutcomes() {
        return failureOutcomes;
    }

    public Set<Integer> failureStatuses() {
        return failureStatuses;
    }

    /** Whether an attempt that ended so counts as a failure. Allocation-free. */
    public boolean isFailure(AttemptOutcome outcome, int status) {
        if (outcome == AttemptOutcome.RESPONSE) {
            return status >= 0 && status < statusFails.length && statusFails[status];
        }
        return failureOutcomes.contains(outcome);
    }

    @Override
    public String toString() {
        if (!enabled) {
            return "CircuitBreakerPolicy[disabled]";
        }
        return "CircuitBreakerPolicy[" + (failureRatePercent > 0
                ? failureRatePercent + "% of >= " + minimumCalls + " calls in " + window
                : failureThreshold + " consecutive failures") + ", open " + openFor + ", " + halfOpenProbes + " probe(s)]";
    }

    /** Builds a {@link CircuitBreakerPolicy}. Not thread-safe. */
    public static final class Builder {
        private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
        private int failureRatePercent;
        private int minimumCalls;
        private Duration window;
        private Duration openFor = DEFAULT_OPEN_FOR;
        private int halfOpenProbes = 1;
        private Set<AttemptOutcome> failureOutcomes = EnumSet.of(AttemptOutcome.CONNECT_FAILED,
                AttemptOutcome.CONNECT_TIMEOUT, AttemptOutcome.RESPONSE_TIMEOUT, AttemptOutcome.UPSTREAM_RESET);
        private Set<Integer> failureStatuses = new TreeSet<>(Set.of(502, 503, 504));

        private Builder() {
        }

        /** Opens after this many failures in a row (count based; replaces a rate). Default 5. */
        public Builder failureThreshold(int consecutiveFailures) {
            if (consecutiveFailures < 1) {
                throw new IllegalArgumentException("circuitBreaker.failureThreshold: " + consecutiveFailures + " (expected: >= 1)");
            }
            this.failureThreshold = consecutiveFailures;
            this.failureRatePercent = 0;
            return this;
        }

        /**
         * Opens when at least {@code percent} of the calls in the last {@code window} failed, judged once
         * {@code minimumCalls} calls were seen in it (rate based; replaces a consecutive threshold).
         */
        public Builder failureRate(int percent, int minimumCalls, Duration window) {
            if (percent < 1 || percent > 100) {
                throw new IllegalArgumentException("circuitBreaker.failureRate: " + percent + " (expected: 1..100)");
            }
            if (minimumCalls < 1) {
                throw new IllegalArgumentException("circuitBreaker.minimumCalls: " + minimumCalls + " (expected: >= 1)");
            }
            Objects.requireNonNull(window, "window");
            if (window.toMillis() < 1) {
                throw new IllegalArgumentException("circuitBreaker.window: " + window + " (expected: >= 1ms)");
            }
            this.failureRatePercent = percent;
            this.minimumCalls = minimumCalls;
            this.window = window;
            this.failureThreshold = 0;
            return this;
        }

        /** How long the breaker stays open. Default 60 s. */
        public Builder openFor(Duration openFor) {
            Objects.requireNonNull(openFor, "openFor");
            if (openFor.toMillis() < 1) {
                throw new IllegalArgumentException("circuitBreaker.openFor: " + openFor + " (expected: >= 1ms)");
            }
            this.openFor = openFor;
            return this;
        }

        /** Trial calls let through at once while half-open; all must succeed to close. Default 1. */
        public Builder halfOpenProbes(int probes) {
            if (probes < 1) {
                throw new IllegalArgumentException("circuitBreaker.halfOpenProbes: " + probes + " (expected: >= 1)");
            }
            this.halfOpenProbes = probes;
            return this;
        }

        /** Attempt outcomes that count as failures (replaces the set). {@code RESPONSE} is judged by status instead. */
        public Builder failureOutcomes(AttemptOutcome... outcomes) {
            Set<AttemptOutcome> set = EnumSet.noneOf(AttemptOutcome.class);
            for (AttemptOutcome o : outcomes) {
                if (Objects.requireNonNull(o, "outcome") == AttemptOutcome.RESPONSE) {
                    throw new IllegalArgumentException("circuitBreaker.failureOutcomes: RESPONSE (expected: failureStatuses for responses)");
                }
                set.add(o);
            }
            this.failureOutcomes = set;
            return this;
        }

        /** Upstream statuses that count as failures (replaces the set). Default 502, 503, 504. */
        public Builder failureStatuses(int... statuses) {
            this.failureStatuses = statuses("circuitBreaker.failureStatuses", statuses);
            return this;
        }

        public CircuitBreakerPolicy build() {
            return new CircuitBreakerPolicy(this, true);
        }
    }

    static Set<Integer> statuses(String what, int... statuses) {
        Set<Integer> set = new TreeSet<>();
        for (int s : statuses) {
            if (s < 100 || s > 599) {
                throw new IllegalArgumentException(what + ": " + s + " (expected: 100..599)");
            }
            set.add(s);
        }
        return set;
    }

    static boolean[] table(Set<Integer> statuses) {
        boolean[] t = new boolean[600];
        for (int s : statuses) {
            t[s] = true;
        }
        return t;
    }
}
