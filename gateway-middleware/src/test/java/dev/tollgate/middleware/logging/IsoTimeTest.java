package dev.tollgate.middleware.logging;

import dev.tollgate.middleware.logging.internal.IsoTime;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import static org.assertj.core.api.Assertions.assertThat;

class IsoTimeTest {

    private static final DateTimeFormatter REFERENCE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    @Test
    void matchesTheJdkFormatterAcrossSecondsAndShortMillis() {
        long[] times = {1_700_000_000_123L, 1_700_000_000_005L, 1_700_000_000_045L, 1_700_000_000_000L,
                1_700_000_001_999L, 1_700_000_000_999L, 0L, 1_798_761_599_999L};
        for (long t : times) {
            assertThat(IsoTime.append(new StringBuilder(), t).toString()).as("%d", t)
                    .isEqualTo(REFERENCE.format(Instant.ofEpochMilli(t)));
        }
    }
}
