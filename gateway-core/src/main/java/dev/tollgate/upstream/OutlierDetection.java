package dev.tollgate.upstream;

import dev.tollgate.internal.Checks;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive outlier detection: the gateway watches the outcome of every attempt and ejects an endpoint
 * that fails too often in a row, without sending it any extra request. Immutable and thread-safe.
 *
 * <p>{@link #consecutive5xx()} responses with a 5xx status in a row, or
 * {@link #consecutiveGatewayFailures()} attempts in a row that could not connect, timed out or were
 * reset, eject the endpoint for {@link #baseEjectionTime()} times the number of times it has been
 * ejected, at most {@link #maxEjectionTime()}. Any other response resets both counts. At most
 * {@link #maxEjectionPercent()} of the upstream's endpoints are ejected at once, but one may always
 * be. An ejected endpoint returns by itself when its time is up. The count of ejections drops by one
 * for every base ejection time the endpoint stays in.
 *
 * <p>Defaults follow Envoy: 5 and 5 failures, 30 s base, 300 s max, 10%.
 */
public final class OutlierDetection {

    private static final OutlierDetection DEFAULTS = builder().build();
    private static final OutlierDetection DISABLED = new OutlierDetection(builder(), false);

    private final boolean enabled;
    private final int consecutive5xx;
    private final int consecutiveGatewayFailures;
    private final Duration baseEjectionTime;
    private final Duration maxEjectionTime;
    private final int maxEjectionPercent;

    private OutlierDetection(Builder b, boolean enabled) {
        this.enabled = enabled;
        this.consecutive5xx = b.consecutive5xx;
        this.consecutiveGatewayFailures = b.consecutiveGatewayFailures;
        this.baseEjectionTime = b.baseEjectionTime;
        this.maxEjectionTime = b.maxEjectionTime;
        this.maxEjectionPercent = b.maxEjectionPercent;
    }

    /** Envoy's defaults; what an upstream uses unless told otherwise. */
    public static OutlierDetection ofDefaults() {
        return DEFAULTS;
    }

    /** No passive ejection. */
    public static OutlierDetection disabled() {
        return DISABLED;
    }

    /** A builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether endpoints are ejected at all; false only for {@link #disabled()}. */
    public boolean enabled() {
        return enabled;
    }

    /** 5xx responses in a row that eject an endpoint. Default 5. */
    public int consecutive5xx() {
        return consecutive5xx;
    }

    /** Connect failures, connect or response timeouts and resets in a row that eject an endpoint. Default 5. */
    public int consecutiveGatewayFailures() {
        return consecutiveGatewayFailures;
    }

    /** Ejection time of a first ejection; the n-th lasts n times as long. Default 30 s. */
    public Duration baseEjectionTime() {
        return baseEjectionTime;
    }

    /** Longest ejection. Default 300 s. */
    public Duration maxEjectionTime() {
        return maxEjectionTime;
    }

    /** Largest share of an upstream's endpoints ejected at once, in percent; one may always be. Default 10. */
    public int maxEjectionPercent() {
        return maxEjectionPercent;
    }

    @Override
    public String toString() {
        return !enabled ? "OutlierDetection[disabled]" : "OutlierDetection[5xx=" + consecutive5xx + " gatewayFailures="
                + consecutiveGatewayFailures + " base=" + baseEjectionTime + " max=" + maxEjectionTime
                + " maxPercent=" + maxEjectionPercent + "]";
    }

    /** Builds an {@link OutlierDetection}. Not thread-safe. */
    public static final class Builder {
        private int consecutive5xx = 5;
        private int consecutiveGatewayFailures = 5;
        private Duration baseEjectionTime = Duration.ofSeconds(30);
        private Duration maxEjectionTime = Duration.ofSeconds(300);
        private int maxEjectionPercent = 10;

        private Builder() {
        }

        /** 5xx responses in a row that eject. Default 5. @throws IllegalArgumentException unless 1..1000 */
        public Builder consecutive5xx(int count) {
            this.consecutive5xx = Checks.range("outlierDetection.consecutive5xx", count, 1, 1000);
            return this;
        }

        /** Gateway failures in a row that eject. Default 5. @throws IllegalArgumentException unless 1..1000 */
        public Builder consecutiveGatewayFailures(int count) {
            this.consecutiveGatewayFailures = Checks.range("outlierDetection.consecutiveGatewayFailures", count, 1, 1000);
            return this;
        }

        /** First ejection's length. Default 30 s. @throws IllegalArgumentException unless > 0 */
        public Builder baseEjectionTime(Duration time) {
            this.baseEjectionTime = Checks.positive("outlierDetection.baseEjectionTime", time);
            return this;
        }

        /** Longest ejection. Default 300 s. @throws IllegalArgumentException unless > 0 */
        public Builder maxEjectionTime(Duration time) {
            this.maxEjectionTime = Checks.positive("outlierDetection.maxEjectionTime", time);
            return this;
        }

        /** Largest share ejected at once, in percent. Default 10. @throws IllegalArgumentException unless 1..100 */
        public Builder maxEjectionPercent(int percent) {
            this.maxEjectionPercent = Checks.range("outlierDetection.maxEjectionPercent", percent, 1, 100);
            return this;
        }

        /** Validates and builds. @throws IllegalStateException if the max ejection time is below the base */
        public OutlierDetection build() {
            Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
            if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
                throw new IllegalStateException("outlierDetection.maxEjectionTime: " + maxEjectionTime
                        + " is shorter than baseEjectionTime " + baseEjectionTime + " (expected: >= base)");
            }
            return new OutlierDetection(this, true);
        }
    }
}
