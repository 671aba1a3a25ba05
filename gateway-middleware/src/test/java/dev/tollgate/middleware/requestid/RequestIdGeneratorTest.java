package dev.tollgate.middleware.requestid;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Generated IDs: UUIDv7 shape, unique, and in creation order as plain strings. */
class RequestIdGeneratorTest {

    private final RequestIdGenerator generator = new RequestIdGenerator();

    @Test
    void isAUuidVersion7WithTheCurrentTime() {
        long before = System.currentTimeMillis();
        String id = generator.next();
        long after = System.currentTimeMillis();
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        UUID uuid = UUID.fromString(id);
        assertThat(uuid.version()).isEqualTo(7);
        assertThat(uuid.variant()).isEqualTo(2);
        long millis = uuid.getMostSignificantBits() >>> 16;
        assertThat(millis).isBetween(before, after);
        assertThat(RequestIds.isValid(id, RequestIds.DEFAULT_MAX_LENGTH)).isTrue();
    }

    @Test
    void aBurstStaysInCreationOrderAndUnique() {
        // far more than 4096 per millisecond: the sequence carries into the timestamp instead of wrapping
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            ids.add(generator.next());
        }
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(null);
        assertThat(sorted).isEqualTo(ids);
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
    }

    @Test
    void threadsShareOneOrderWithoutDuplicates() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> parts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Callable<List<String>> task = () -> {
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 25_000; i++) {
                        mine.add(generator.next());
                    }
                    return mine;
                };
                parts.add(pool.submit(task));
            }
            Set<String> all = new HashSet<>();
            for (Future<List<String>> f : parts) {
                List<String> mine = f.get();
                List<String> sorted = new ArrayList<>(mine);
                sorted.sort(null);
                assertThat(sorted).isEqualTo(mine);
                all.addAll(mine);
            }
            assertThat(all).hasSize(100_000);
        } finally {
            pool.shutdownNow();
        }
        // and whatever comes after all of them sorts after all of them
        String later = generator.next();
        assertThat(later.compareTo(generator.next())).isNegative();
    }

    @Test
    void validity() {
        assertThat(RequestIds.isValid("abc-123.DEF:9_x", 128)).isTrue();
        assertThat(RequestIds.isValid("a".repeat(128), 128)).isTrue();
        assertThat(RequestIds.isValid("a".repeat(129), 128)).isFalse();
        assertThat(RequestIds.isValid("", 128)).isFalse();
        for (String bad : List.of("a b", "a\rb", "a\nb", "<script>", "a\"b", "a,b", "a;b", "é", "a/b", "a\u0000")) {
            assertThat(RequestIds.isValid(bad, 128)).as(bad).isFalse();
        }
    }
}
