package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FixedRateScheduleTest {

    @Test
    void slotsAreEvenlySpacedFromTheStart() {
        FixedRateSchedule schedule = new FixedRateSchedule(1_000, 2_000, 4);

        assertThat(schedule.slotIntervalNanos()).isEqualTo(500_000);
        assertThat(schedule.slotNanos(0)).isEqualTo(1_000);
        assertThat(schedule.slotNanos(1)).isEqualTo(1_000 + 500_000);
        assertThat(schedule.slotNanos(2_000)).isEqualTo(1_000 + 1_000_000_000L);
    }

    @Test
    void connectionsTakeSlotsInTurn() {
        FixedRateSchedule schedule = new FixedRateSchedule(0, 1_000, 3);

        // connection 1 owns slots 1, 4, 7, ...: every 3 ms, starting 1 ms in
        assertThat(schedule.intendedNanos(1, 0)).isEqualTo(1_000_000);
        assertThat(schedule.intendedNanos(1, 1)).isEqualTo(4_000_000);
        assertThat(schedule.intendedNanos(1, 2)).isEqualTo(7_000_000);
        assertThat(schedule.intendedNanos(0, 1)).isEqualTo(3_000_000);
        assertThat(schedule.intendedNanos(2, 0)).isEqualTo(2_000_000);
    }

    @Test
    void roundingDoesNotDriftOverLongRuns() {
        // 3 per second: 333,333,333.33 ns apart; slot 3n must land exactly on second n
        FixedRateSchedule schedule = new FixedRateSchedule(0, 3, 1);

        assertThat(schedule.slotNanos(1)).isEqualTo(333_333_333);
        assertThat(schedule.slotNanos(2)).isEqualTo(666_666_666);
        assertThat(schedule.slotNanos(3 * 3_600)).isEqualTo(3_600_000_000_000L);
        assertThat(schedule.slotNanos(3 * 3_600 + 1)).isEqualTo(3_600_333_333_333L);
    }

    @Test
    void aWindowHoldsRateTimesSecondsSlots() {
        FixedRateSchedule schedule = new FixedRateSchedule(5_000, 7_919, 64);
        long windowEnd = 5_000 + 2_000_000_000L;

        long inWindow = 0;
        for (int c = 0; c < 64; c++) {
            for (long k = 0; schedule.intendedNanos(c, k) < windowEnd; k++) {
                inWindow++;
            }
        }

        assertThat(inWindow).isEqualTo(2 * 7_919);
    }

    @Test
    void survivesSlotNumbersThatWouldOverflowANaiveProduct() {
        FixedRateSchedule schedule = new FixedRateSchedule(0, 1_000_000, 1);

        // 10^13 * 10^9 overflows a long; a day and more at a million per second does not
        assertThat(schedule.slotNanos(10_000_000_000_000L)).isEqualTo(10_000_000_000_000_000L);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new FixedRateSchedule(0, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rate: 0 (expected: 1..1000000 per second)");
        assertThatThrownBy(() -> new FixedRateSchedule(0, 10, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connections: 0 (expected: >= 1)");
    }
}
