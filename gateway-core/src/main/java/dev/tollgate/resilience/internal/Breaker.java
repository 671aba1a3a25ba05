package dev.tollgate.resilience.internal;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerBuilder;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.observe.BreakerState;
import dev.tollgate.observe.GatewayListener;
import dev.tollgate.resilience.CircuitBreakerPolicy;
import dev.tollgate.upstream.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * One circuit breaker (of an upstream, a route's view of it, or an endpoint) over Failsafe's
 * {@link CircuitBreaker}, used directly: a permit before each attempt, its outcome recorded after.
 * No Failsafe execution is created per request; in the closed state a permit is a volatile read. A
 * count-based breaker records a success only when a failure may be waiting to be cleared, so a healthy
 * upstream's requests do not all meet on Failsafe's lock; a rate-based one records every outcome. Thread-safe; state changes are logged and reported to the
 * gateway's listener on the thread whose call caused them.
 */
public final class Breaker {

    private static final Logger log = LoggerFactory.getLogger(Breaker.class);

    /** What {@link #tryAcquire()} returns. */
    public static final int DENIED = 0;
    public static final int PERMITTED = 1;
    /** Permitted as a half-open probe: its outcome must be recorded to give the probe back. */
    public static final int PROBE = 2;

    private final CircuitBreakerPolicy policy;
    private final CircuitBreaker<Object> breaker;
    private final String name;
    private final boolean countBased;
    // count-based: a failure was recorded since the last success reached Failsafe
    private volatile boolean failureSinceSuccess;

    /**
     * @param endpoint null for the breaker of a whole upstream
     */
    public Breaker(CircuitBreakerPolicy policy, String upstream, Endpoint endpoint, GatewayListener events) {
        this.policy = policy;
        this.name = "upstream '" + upstream + "'" + (endpoint == null ? "" : " endpoint " + endpoint.uri());
        CircuitBreakerBuilder<Object> b = CircuitBreaker.builder()
                .withDelay(policy.openFor())
                .withSuccessThreshold(policy.halfOpenProbes());
        this.countBased = policy.failureRatePercent() <= 0;
        if (!countBased) {
            b.withFailureRateThreshold(policy.failureRatePercent(), policy.minimumCalls(), policy.window());
        } else {
            b.withFailureThreshold(policy.failureThreshold());
        }
        b.onOpen(e -> changed(events, upstream, endpoint, e.getPreviousState(), BreakerState.OPEN));
        b.onHalfOpen(e -> changed(events, upstream, endpoint, e.getPreviousState(), BreakerState.HALF_OPEN));
        b.onClose(e -> changed(events, upstream, endpoint, e.getPreviousState(), BreakerState.CLOSED));
        this.breaker = b.build();
    }

    private void changed(GatewayListener events, String upstream, Endpoint endpoint, CircuitBreaker.State from, BreakerState to) {
        BreakerState previous = state(from);
        if (to == BreakerState.OPEN) {
            log.warn("circuit breaker of {} opened (was {}) for {}", name, previous, policy.openFor());
        } else {
            log.info("circuit breaker of {} is {} (was {})", name, to, previous);
        }
        try {
            events.breakerStateChanged(upstream, endpoint, previous, to);
        } catch (RuntimeException e) {
            log.warn("listener failed on breakerStateChanged", e);
        }
    }

    private static BreakerState state(CircuitBreaker.State s) {
        return switch (s) {
            case CLOSED -> BreakerState.CLOSED;
            case OPEN -> BreakerState.OPEN;
            case HALF_OPEN -> BreakerState.HALF_OPEN;
        };
    }

    /** {@link #PERMITTED}, {@link #PROBE} (half-open) or {@link #DENIED}. Opening turns half-open here once its time is over. */
    public int tryAcquire() {
        if (breaker.isClosed()) {
            return PERMITTED;
        }
        if (!breaker.tryAcquirePermit()) {
            return DENIED;
        }
        return breaker.isHalfOpen() ? PROBE : PERMITTED;
    }

    /**
     * Records an attempt's outcome. Outcomes that are neither failures nor responses (the client went
     * away, no pooled connection) say nothing about the upstream and are not recorded, except for a
     * probe, whose place must come back: it counts as a failure then, so the breaker waits once more
     * rather than closing on no evidence.
     */
    public void record(AttemptOutcome outcome, int status, int permit) {
        if (policy.isFailure(outcome, status)) {
            failureSinceSuccess = true;
            breaker.recordFailure();
        } else if (outcome == AttemptOutcome.RESPONSE) {
            // in the closed state of a consecutive-failure breaker a success only matters to clear
            // failures; with none recorded since the last success it would change nothing. (A failure
            // racing a success on another IO thread may stay counted a little longer: it errs towards
            // opening, as "consecutive" across threads does anyway.)
            if (countBased && permit != PROBE && !failureSinceSuccess && breaker.isClosed()) {
                return;
            }
            failureSinceSuccess = false;
            breaker.recordSuccess();
        } else if (permit == PROBE) {
            breaker.recordFailure();
        }
    }

    public BreakerState state() {
        return state(breaker.getState());
    }

    /** Time left until an open breaker lets probes through (zero unless open). */
    public Duration remainingOpen() {
        return breaker.isOpen() ? breaker.getRemainingDelay() : Duration.ZERO;
    }

    public CircuitBreakerPolicy policy() {
        return policy;
    }

    @Override
    public String toString() {
        return "Breaker[" + name + " " + state() + "]";
    }
}
