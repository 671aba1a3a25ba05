package dev.tollgate.testing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition instead of sleeping: polls every few milliseconds and fails with an
 * {@link AssertionError} that names what was awaited when the timeout passes.
 */
public final class Await {

    /** The timeout of the overloads that take none: 5 seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private Await() {
    }

    /** An assertion that may throw anything; used by {@link #untilAsserted}. */
    @FunctionalInterface
    public interface Assertion {
        void check() throws Exception;
    }

    /**
     * Returns once {@code condition} is true.
     *
     * @param message what is awaited, e.g. {@code "breaker to open"}; goes into the failure
     * @throws AssertionError when the condition is still false after {@code timeout}
     */
    public static void until(BooleanSupplier condition, Duration timeout, String message) {
        requireNonNull(condition, "condition");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + message);
            }
            park();
        }
    }

    /** {@link #until(BooleanSupplier, Duration, String)} with {@link #DEFAULT_TIMEOUT}. */
    public static void until(BooleanSupplier condition, String message) {
        until(condition, DEFAULT_TIMEOUT, message);
    }

    /**
     * Returns once {@code assertion} passes; retries it while it throws.
     *
     * @throws AssertionError after {@code timeout}, with the last failure as its cause
     */
    public static void untilAsserted(Assertion assertion, Duration timeout) {
        requireNonNull(assertion, "assertion");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                assertion.check();
                return;
            } catch (Exception | AssertionError e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new AssertionError("assertion still failing after " + timeout.toMillis() + " ms: "
                            + e.getMessage(), e);
                }
            }
            park();
        }
    }

    private static void park() {
        LockSupport.parkNanos(POLL_NANOS);
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting");
        }
    }
}
