package dev.tollgate.middleware.ratelimit;

import java.time.Duration;
import java.util.Objects;

/**
 * One limit of a rate limiter: {@code quota} request units per {@code window}, with a bucket that
 * holds up to {@code burst} units (default: the quota). Several limits may apply to one key at once
 * (a per-second limit with a burst and a daily one, say); a request passes only if every limit has
 * room for its cost.
 *
 * <p>Each limit is a token bucket that refills <em>greedily</em>: one unit every
 * {@code window / quota}, not the whole quota at the window's edge. So in any stretch of time
 * {@code d}, however it is placed, a key is admitted at most {@code burst + quota x d / window}
 * units: there is no window edge across which twice the quota gets through.
 *
 * <p>Immutable and thread-safe.
 */
public final class Limit {

    private final String name;
    private final long quota;
    private final Duration window;
    private final long burst;

    private Limit(String name, long quota, Duration window, long burst) {
        this.name = name;
        this.quota = quota;
        this.window = window;
        this.burst = burst;
    }

    /**
     * A limit of {@code quota} units per {@code window}, burst equal to the quota.
     *
     * @param name the policy name shown in the {@code RateLimit} headers, the 429 problem and the events:
     *             1 to 64 characters out of letters, digits, {@code -}, {@code _} and {@code .}
     * @param quota units per window, at least 1
     * @param window a whole number of seconds, at least one second (the headers count in seconds)
     * @throws IllegalArgumentException if a value is out of range
     */
    public static Limit of(String name, long quota, Duration window) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(window, "window");
        checkName("limit.name", name);
        if (quota < 1) {
            throw new IllegalArgumentException("limit " + name + ".quota: " + quota + " (expected: >= 1)");
        }
        if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.getNano() != 0) {
            throw new IllegalArgumentException("limit " + name + ".window: " + window
                    + " (expected: a whole number of seconds, at least 1 s)");
        }
        return new Limit(name, quota, window, quota);
    }

    /**
     * A copy whose bucket holds {@code burst} units: a key that has been quiet may send that many at
     * once, after which it gets the quota's rate.
     *
     * @param burst at least the quota
     * @throws IllegalArgumentException if {@code burst} is below the quota
     */
    public Limit burst(long burst) {
        if (burst < quota) {
            throw new IllegalArgumentException("limit " + name + ".burst: " + burst + " (expected: >= quota " + quota + ")");
        }
        return new Limit(name, quota, window, burst);
    }

    /** Names of limits and limiters appear in headers and Redis keys: a safe, short alphabet. */
    static String checkName(String what, String name) {
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException(what + ": '" + name + "' (expected: 1 to 64 letters, digits, '-', '_' or '.')");
        }
        return name;
    }

    public String name() {
        return name;
    }

    /** Units admitted per window in the long run. */
    public long quota() {
        return quota;
    }

    public Duration window() {
        return window;
    }

    /** The bucket's capacity: the most units admitted at once. */
    public long burst() {
        return burst;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Limit l && l.name.equals(name) && l.quota == quota && l.window.equals(window) && l.burst == burst;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, quota, window, burst);
    }

    @Override
    public String toString() {
        return name + ": " + quota + " per " + window.getSeconds() + " s" + (burst == quota ? "" : ", burst " + burst);
    }
}
