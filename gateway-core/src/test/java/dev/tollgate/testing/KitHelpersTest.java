package dev.tollgate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Tests the small helpers: {@link Await} and the parsing in {@link TestRedis}. */
class KitHelpersTest {

    @Test
    void awaitReturnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.until(() -> polls.incrementAndGet() >= 3, Duration.ofSeconds(1), "three polls");
        assertThat(polls).hasValue(3);
    }

    @Test
    void awaitFailsNamingWhatItWaitedFor() {
        assertThatThrownBy(() -> Await.until(() -> false, Duration.ofMillis(30), "the moon"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("the moon");
    }

    @Test
    void untilAssertedKeepsTheLastFailureAsCause() {
        assertThatThrownBy(() -> Await.untilAsserted(() -> assertThat(1).isEqualTo(2), Duration.ofMillis(30)))
                .isInstanceOf(AssertionError.class)
                .hasCauseInstanceOf(AssertionError.class);
    }

    @Test
    void redisUrlFormsAreParsed() {
        assertThat(TestRedis.parse("127.0.0.1:6380"))
                .isEqualTo(new TestRedis.Endpoint("127.0.0.1", 6380, null, null));
        assertThat(TestRedis.parse("redis://cache:7000/2"))
                .isEqualTo(new TestRedis.Endpoint("cache", 7000, null, null));
        assertThat(TestRedis.parse("redis://:s3cret@cache"))
                .isEqualTo(new TestRedis.Endpoint("cache", 6379, null, "s3cret"));
        assertThat(TestRedis.parse("redis://app:pw@cache:6379").user()).isEqualTo("app");
        assertThatThrownBy(() -> TestRedis.parse("http://cache:6379"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("REDIS_URL");
    }

    @Test
    void requireAvailableAnswersWhenRedisIsUpOrAbortsWhenItIsNot() {
        // aborts (skips) on a machine without Redis; on CI it must be there
        TestRedis.Endpoint redis = TestRedis.requireAvailable();
        assertThat(redis.port()).isPositive();
    }
}
