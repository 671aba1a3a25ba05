package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoundsTest {

    private static final List<String> TARGETS = List.of("direct", "undertow-proxy", "tollgate");

    @Test
    void roundRStartsAtTargetRModCount() {
        assertThat(Rounds.order(TARGETS, 0)).containsExactly("direct", "undertow-proxy", "tollgate");
        assertThat(Rounds.order(TARGETS, 1)).containsExactly("undertow-proxy", "tollgate", "direct");
        assertThat(Rounds.order(TARGETS, 2)).containsExactly("tollgate", "direct", "undertow-proxy");
        assertThat(Rounds.order(TARGETS, 3)).containsExactly("direct", "undertow-proxy", "tollgate");
        assertThat(Rounds.order(TARGETS, 7)).isEqualTo(Rounds.order(TARGETS, 1));
    }

    @Test
    void everyTargetTakesEveryPositionOnceOverCountRounds() {
        for (int position = 0; position < TARGETS.size(); position++) {
            int p = position;
            List<String> atPosition = List.of(0, 1, 2).stream().map(r -> Rounds.order(TARGETS, r).get(p)).toList();
            assertThat(atPosition).containsExactlyInAnyOrderElementsOf(TARGETS);
        }
    }

    @Test
    void orderOfOneOrNoTargets() {
        assertThat(Rounds.order(List.of("direct"), 5)).containsExactly("direct");
        assertThat(Rounds.order(List.of(), 2)).isEmpty();
        assertThatThrownBy(() -> Rounds.order(TARGETS, -1)).hasMessage("round: -1 (expected: >= 0)");
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Rounds.median(3, 1, 2)).isEqualTo(2);
        assertThat(Rounds.median(9000, 100, 7000)).isEqualTo(7000); // an outlier does not move it
        assertThat(Rounds.median(4, 1, 3, 2)).isEqualTo(2.5);
        assertThat(Rounds.median(5)).isEqualTo(5);
    }

    @Test
    void notANumberIsLeftOut() {
        assertThat(Rounds.median(Double.NaN, 1, 3)).isEqualTo(2);
        assertThat(Rounds.median()).isNaN();
        assertThat(Rounds.median(Double.NaN)).isNaN();
        assertThat(Rounds.min(Double.NaN, 3, 1, 2)).isEqualTo(1);
        assertThat(Rounds.max(Double.NaN, 3, 1, 2)).isEqualTo(3);
        assertThat(Rounds.min()).isNaN();
        assertThat(Rounds.max(Double.NaN)).isNaN();
    }

    @Test
    void medianRatioPairsFiguresOfTheSameRound() {
        // the machine was twice as fast in round 2: the per-round ratio is steady at 0.5 ...
        double[] tollgate = {500, 1000, 400};
        double[] proxy = {1000, 2000, 800};
        assertThat(Rounds.medianRatio(tollgate, proxy)).isEqualTo(0.5);
        // ... while pairing medians across rounds need not be: 500 / 1000 here only by luck
        double[] drifting = {500, 2000, 800};
        assertThat(Rounds.medianRatio(new double[] {400, 1000, 500}, drifting)).isEqualTo(0.625);
    }

    @Test
    void medianRatioSkipsRoundsWithoutAUsableDenominator() {
        assertThat(Rounds.medianRatio(new double[] {1, 2, 3}, new double[] {0, Double.NaN, 3})).isEqualTo(1);
        assertThat(Rounds.medianRatio(new double[] {1}, new double[] {0})).isNaN();
        assertThat(Rounds.medianRatio(new double[] {Double.NaN, 4}, new double[] {1, 2})).isEqualTo(2);
        assertThatThrownBy(() -> Rounds.medianRatio(new double[] {1, 2}, new double[] {1}))
                .hasMessageStartingWith("rounds: 2 numerators, 1 denominators");
    }
}
