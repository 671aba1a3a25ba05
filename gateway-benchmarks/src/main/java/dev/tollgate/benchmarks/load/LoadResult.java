package dev.tollgate.benchmarks.load;

import org.HdrHistogram.Histogram;

/**
 * What one load run measured.
 *
 * @param mode {@code "closed-loop"} or {@code "fixed-rate"}
 * @param connections connections used
 * @param measuredSeconds length of the measurement window
 * @param completed 2xx responses inside the window (closed loop: completed in it; fixed rate:
 *     scheduled in it)
 * @param latencyMicros closed loop: send to response; fixed rate: intended send time to response
 *     (corrected for coordinated omission)
 * @param serviceMicros send to response, uncorrected
 * @param sendLagMicros fixed rate only: actual minus intended send time (client pacing slop plus
 *     waiting for the previous response on the same connection)
 * @param non2xx responses with a status outside 200..299, over the whole run
 * @param ioErrors connect, read, write and parse failures, over the whole run
 * @param unfinished requests scheduled or in flight that had no answer when the drain ended
 * @param firstError description of the first error, or {@code ""}
 */
record LoadResult(
        String mode,
        int connections,
        double measuredSeconds,
        long completed,
        Histogram latencyMicros,
        Histogram serviceMicros,
        Histogram sendLagMicros,
        long non2xx,
        long ioErrors,
        long unfinished,
        String firstError) {

    double requestsPerSecond() {
        return completed / measuredSeconds;
    }

    long errors() {
        return non2xx + ioErrors + unfinished;
    }
}
