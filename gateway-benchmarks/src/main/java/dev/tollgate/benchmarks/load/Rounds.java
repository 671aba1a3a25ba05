package dev.tollgate.benchmarks.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The arithmetic of measuring in rounds: the rotating order of the targets in each round, and
 * robust summaries (median, min, max, median of per-round ratios) of per-round figures. Pure
 * functions; a figure that could not be measured is {@code NaN} and is left out.
 */
final class Rounds {

    private Rounds() {
    }

    /**
     * The order of {@code items} in round {@code round} (0-based): the list rotated so that round
     * {@code r} starts at item {@code r mod size}. Over {@code size} consecutive rounds every item
     * runs once in each position, so a drift of the machine's speed during the run is spread over
     * all of them instead of always hitting the last one.
     *
     * @throws IllegalArgumentException if {@code round < 0}
     */
    static <T> List<T> order(List<T> items, int round) {
        if (round < 0) {
            throw new IllegalArgumentException("round: " + round + " (expected: >= 0)");
        }
        int n = items.size();
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(items.get((round + i) % n));
        }
        return out;
    }

    /** The median of the values that are not {@code NaN} (mean of the middle two for an even count); {@code NaN} if none. */
    static double median(double... values) {
        double[] sorted = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** The smallest value that is not {@code NaN}; {@code NaN} if none. */
    static double min(double... values) {
        return Arrays.stream(values).filter(v -> !Double.isNaN(v)).min().orElse(Double.NaN);
    }

    /** The largest value that is not {@code NaN}; {@code NaN} if none. */
    static double max(double... values) {
        return Arrays.stream(values).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
    }

    /**
     * The median over rounds of {@code numerators[r] / denominators[r]}, rounds where either is
     * {@code NaN} or the denominator is not positive left out. Both figures of one round were
     * measured back to back, so their ratio cancels whatever the machine was doing in that round;
     * the median then drops an odd round. More robust than the ratio of the two medians, which can
     * pair figures from different rounds.
     *
     * @throws IllegalArgumentException if the arrays differ in length
     */
    static double medianRatio(double[] numerators, double[] denominators) {
        if (numerators.length != denominators.length) {
            throw new IllegalArgumentException("rounds: " + numerators.length + " numerators, "
                    + denominators.length + " denominators (expected: one of each per round)");
        }
        double[] ratios = new double[numerators.length];
        for (int r = 0; r < ratios.length; r++) {
            double d = denominators[r];
            ratios[r] = Double.isNaN(d) || d <= 0 ? Double.NaN : numerators[r] / d;
        }
        return median(ratios);
    }
}
