package dev.tollgate.resilience;

import dev.tollgate.observe.AttemptOutcome;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When and how the proxy engine sends a request again. Immutable and thread-safe; {@link #ofDefaults()},
 * {@link #none()} or {@link #builder()}.
 *
 * <p>An attempt is retried when it failed to connect, was reset before a response, exceeded its per-try
 * timeout, or answered with a {@link #retryStatuses() retry status} (default 502, 503, 504), and all of
 * these hold: attempts are left ({@link #maxAttempts()}, default 3, the first included); no byte of a
 * response went to the client; the request can be sent again (no body, or a body that fit the
 * {@link #maxReplayBodyBytes() replay buffer}, or a body not yet read when the connect failed); the
 * method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) or the route opted in with
 * {@link Builder#retryNonIdempotent(boolean)} or the request carries an {@code Idempotency-Key} header
 * (a connect failure is retried for any method: nothing was sent); and the upstream's
 * {@link #budgetPercent() retry budget} has room. A retry goes to another endpoint where one exists.
 *
 * <p>Delays: exponential backoff with full jitter, a random delay between 0 and
 * {@code min(maxBackoff, baseBackoff * 2^(retry-1))}. An upstream's {@code Retry-After} (seconds) on a
 * retry status is honoured when it is at most {@link #retryAfterCap()}; a longer one is not retried and
 * its response goes to the client. The delays run as timers on the request's IO thread; Failsafe's
 * {@code RetryPolicy} is not used, as its executors would own the call.
 */
public final class RetryPolicy {

    private static final RetryPolicy DEFAULTS = builder().build();
    private static final RetryPolicy NONE = builder().maxAttempts(1).build();

    private final int maxAttempts;
    private final Duration baseBackoff;
    private final Duration maxBackoff;
    private final Set<Integer> retryStatuses;
    private final boolean[] statusRetries;
    private final Set<AttemptOutcome> retryOutcomes;
    private final boolean retryNonIdempotent;
    private final Duration retryAfterCap;
    private final int budgetPercent;
    private final int budgetMinimum;
    private final long maxReplayBodyBytes;

    private RetryPolicy(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.baseBackoff = b.baseBackoff;
        this.maxBackoff = b.maxBackoff;
        this.retryStatuses = Set.copyOf(b.retryStatuses);
        this.statusRetries = CircuitBreakerPolicy.table(b.retryStatuses);
        this.retryOutcomes = Set.copyOf(b.retryOutcomes);
        this.retryNonIdempotent = b.retryNonIdempotent;
        this.retryAfterCap = b.retryAfterCap;
        this.budgetPercent = b.budgetPercent;
        this.budgetMinimum = b.budgetMinimum;
        this.maxReplayBodyBytes = b.maxReplayBodyBytes;
    }

    /** 3 attempts, backoff 25..250 ms, statuses 502/503/504, idempotent methods only, budget 20% (min 10), 64 KiB replay buffer. */
    public static RetryPolicy ofDefaults() {
        return DEFAULTS;
    }

    /** One attempt, no retry. */
    public static RetryPolicy none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Attempts in all, the first included. Default 3. */
    public int maxAttempts() {
        return maxAttempts;
    }

    public Duration baseBackoff() {
        return baseBackoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** Upstream statuses that are retried. Default 502, 503, 504. */
    public Set<Integer> retryStatuses() {
        return retryStatuses;
    }

    /** Whether a response with this status is retried. Allocation-free. */
    public boolean retriesStatus(int status) {
        return status >= 0 && status < statusRetries.length && statusRetries[status];
    }

    /** Failed attempt outcomes that are retried. Default: connect failure and timeout, response (per-try) timeout, reset. */
    public Set<AttemptOutcome> retryOutcomes() {
        return retryOutcomes;
    }

    /** Whether POST, PATCH and other non-idempotent methods are retried without an Idempotency-Key. Default false. */
    public boolean retryNonIdempotent() {
        return retryNonIdempotent;
    }

    /** The longest upstream {@code Retry-After} that is waited for. Default 2 s. */
    public Duration retryAfterCap() {
        return retryAfterCap;
    }

    /** Retries in flight allowed per upstream, as a share of its active requests. Default 20. */
    public int budgetPercent() {
        return budgetPercent;
    }

    /**
     * Retries in flight always allowed per upstream, whatever the share. Default 10: a retry holds its
     * place through its backoff, so with one bad endpoint of three at a few hundred requests a second a
     * handful are in flight at once, and a minimum of 3 refused some of them.
     */
    public int budgetMinimum() {
        return budgetMinimum;
    }

    /** The largest request body kept for replay. Default 64 KiB. */
    public long maxReplayBodyBytes() {
        return maxReplayBodyBytes;
    }

    /** The delay before retry number {@code retry} (1 for the first retry): full jitter over the capped exponential. */
    public long backoffNanos(int retry) {
        long base = baseBackoff.toNanos();
        long cap = maxBackoff.toNanos();
        long ceiling = retry >= 62 || base << (retry - 1) <= 0 ? cap : Math.min(cap, base << (retry - 1));
        return ceiling <= 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    @Override
    public String toString() {
        return "RetryPolicy[" + maxAttempts + " attempts, backoff " + baseBackoff + ".." + maxBackoff + ", statuses "
                + retryStatuses + (retryNonIdempotent ? ", any method" : "") + ", budget " + budgetPercent + "% (min "
                + budgetMinimum + "), replay <= " + maxReplayBodyBytes + " bytes]";
    }

    /** Builds a {@link RetryPolicy}. Not thread-safe. */
    public static final class Builder {
        private int maxAttempts = 3;
        private Duration baseBackoff = Duration.ofMillis(25);
        private Duration maxBackoff = Duration.ofMillis(250);
        private Set<Integer> retryStatuses = Set.of(502, 503, 504);
        private Set<AttemptOutcome> retryOutcomes = EnumSet.of(AttemptOutcome.CONNECT_FAILED,
                AttemptOutcome.CONNECT_TIMEOUT, AttemptOutcome.RESPONSE_TIMEOUT, AttemptOutcome.UPSTREAM_RESET);
        private boolean retryNonIdempotent;
        private Duration retryAfterCap = Duration.ofSeconds(2);
        private int budgetPercent = 20;
        private int budgetMinimum = 10;
        private long maxReplayBodyBytes = 64 * 1024;

        private Builder() {
        }

        /** Attempts in all, the first included; 1 turns retries off. Default 3. */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("retry.maxAttempts: " + maxAttempts + " (expected: >= 1)");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Exponential backoff from {@code base}, capped at {@code max}, with full jitter. Default 25 ms .. 250 ms. */
        public Builder backoff(Duration base, Duration max) {
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(max, "max");
            if (base.isNegative()) {
                throw new IllegalArgumentException("retry.backoff: base " + base + " (expected: >= 0)");
            }
            if (max.compareTo(base) < 0) {
                throw new IllegalArgumentException("retry.backoff: max " + max + " is below base " + base + " (expected: max >= base)");
            }
            this.baseBackoff = base;
            this.maxBackoff = max;
            return this;
        }

        /** Upstream statuses to retry (replaces the set; none is allowed). Default 502, 503, 504. */
        public Builder retryStatuses(int... statuses) {
            this.retryStatuses = CircuitBreakerPolicy.statuses("retry.retryStatuses", statuses);
            return this;
        }

        /**
         * Failed outcomes to retry (replaces the set). Allowed: CONNECT_FAILED, CONNECT_TIMEOUT,
         * RESPONSE_TIMEOUT (the per-try timeout), UPSTREAM_RESET. Default: all four.
         */
        public Builder retryOn(AttemptOutcome... outcomes) {
            Set<AttemptOutcome> set = EnumSet.noneOf(AttemptOutcome.class);
            for (AttemptOutcome o : outcomes) {
                switch (Objects.requireNonNull(o, "outcome")) {
                    case CONNECT_FAILED, CONNECT_TIMEOUT, RESPONSE_TIMEOUT, UPSTREAM_RESET -> set.add(o);
                    default -> throw new IllegalArgumentException("retry.retryOn: " + o
                            + " (expected: CONNECT_FAILED, CONNECT_TIMEOUT, RESPONSE_TIMEOUT or UPSTREAM_RESET)");
                }
            }
            this.retryOutcomes = set;
            return this;
        }

        /** Also retries POST, PATCH and other non-idempotent methods. Default false (they need an Idempotency-Key). */
        public Builder retryNonIdempotent(boolean retry) {
            this.retryNonIdempotent = retry;
            return this;
        }

        /** The longest upstream {@code Retry-After} waited for; longer ones are not retried. Default 2 s. */
        public Builder retryAfterCap(Duration cap) {
            Objects.requireNonNull(cap, "cap");
            if (cap.isNegative()) {
                throw new IllegalArgumentException("retry.retryAfterCap: " + cap + " (expected: >= 0)");
            }
            this.retryAfterCap = cap;
            return this;
        }

        /**
         * The retry budget per upstream: retries in flight may be at most {@code percent} of its active
         * requests, or {@code minimum}, whichever is larger. Default 20 %, minimum 10.
         */
        public Builder budget(int percent, int minimum) {
            if (percent < 0 || percent > 100) {
                throw new IllegalArgumentException("retry.budget: percent " + percent + " (expected: 0..100)");
            }
            if (minimum < 0) {
                throw new IllegalArgumentException("retry.budget: minimum " + minimum + " (expected: >= 0)");
            }
            this.budgetPercent = percent;
            this.budgetMinimum = minimum;
            return this;
        }

        /** The largest request body kept for replay; larger bodies stream and are not retried once sent. Default 64 KiB. */
        public Builder maxReplayBodyBytes(long bytes) {
            if (bytes < 0 || bytes > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("retry.maxReplayBodyBytes: " + bytes + " (expected: 0..16777216)");
            }
            this.maxReplayBodyBytes = bytes;
            return this;
        }

        public RetryPolicy build() {
            return new RetryPolicy(this);
        }
    }
}
