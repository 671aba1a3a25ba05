package dev.tollgate.benchmarks.load;

/**
 * When each request of a fixed-rate run is meant to be sent.
 *
 * <p>The run is a sequence of global slots, one every {@code 1/rate} seconds from the start; slot
 * {@code s} belongs to connection {@code s % connections}. So each connection sends at
 * {@code rate/connections} per second, and the connections are staggered rather than firing
 * together. Latency is measured from a request's slot time, not from when it was actually sent,
 * so a stall counts against every request that should have gone out during it.
 *
 * <p>Immutable and thread-safe.
 */
final class FixedRateSchedule {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long startNanos;
    private final long ratePerSecond;
    private final int connections;

    /**
     * @param startNanos {@link System#nanoTime()} of slot 0
     * @param ratePerSecond total requests per second over all connections, 1..1,000,000
     * @param connections number of connections sharing the rate, >= 1
     */
    FixedRateSchedule(long startNanos, int ratePerSecond, int connections) {
        if (ratePerSecond < 1 || ratePerSecond > 1_000_000) {
            throw new IllegalArgumentException("rate: " + ratePerSecond + " (expected: 1..1000000 per second)");
        }
        if (connections < 1) {
            throw new IllegalArgumentException("connections: " + connections + " (expected: >= 1)");
        }
        this.startNanos = startNanos;
        this.ratePerSecond = ratePerSecond;
        this.connections = connections;
    }

    /** Intended send time of global slot {@code slot} (>= 0), in {@link System#nanoTime()} terms. */
    long slotNanos(long slot) {
        // whole seconds and the remainder separately, so long runs cannot overflow and the
        // rounding error never accumulates from slot to slot
        long seconds = slot / ratePerSecond;
        long rest = slot % ratePerSecond;
        return startNanos + seconds * NANOS_PER_SECOND + rest * NANOS_PER_SECOND / ratePerSecond;
    }

    /** Intended send time of the {@code k}-th (0-based) request on connection {@code connection}. */
    long intendedNanos(int connection, long k) {
        return slotNanos(k * connections + connection);
    }

    /** Nanoseconds between two slots (rounded down). */
    long slotIntervalNanos() {
        return NANOS_PER_SECOND / ratePerSecond;
    }

    long startNanos() {
        return startNanos;
    }
}
