package dev.tollgate.middleware.ratelimit;

import dev.tollgate.middleware.ratelimit.internal.LocalBuckets;
import dev.tollgate.middleware.ratelimit.internal.Policies;
import dev.tollgate.middleware.ratelimit.internal.RedisUrl;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Builder validation, key rules and the bounded local store. */
class RateLimitTest {

    @Test
    void limitsAreValidatedWithMessagesThatSayWhatToFix() {
        assertThatThrownBy(() -> Limit.of("burst", 0, Duration.ofSeconds(1)))
                .hasMessage("limit burst.quota: 0 (expected: >= 1)");
        assertThatThrownBy(() -> Limit.of("burst", 10, Duration.ofMillis(500)))
                .hasMessage("limit burst.window: PT0.5S (expected: a whole number of seconds, at least 1 s)");
        assertThatThrownBy(() -> Limit.of("a b", 10, Duration.ofSeconds(1)))
                .hasMessage("limit.name: 'a b' (expected: 1 to 64 letters, digits, '-', '_' or '.')");
        assertThatThrownBy(() -> Limit.of("burst", 10, Duration.ofSeconds(1)).burst(5))
                .hasMessage("limit burst.burst: 5 (expected: >= quota 10)");
        assertThat(Limit.of("burst", 100, Duration.ofSeconds(1)).burst(200)).hasToString("burst: 100 per 1 s, burst 200");
    }

    @Test
    void buildFailsOnMissingDuplicateOrUnaffordableLimits() {
        assertThatThrownBy(() -> RateLimit.builder().name("api").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("rateLimit api: no limit (expected: at least one .limit(...))");
        Limit hourly = Limit.of("hourly", 5, Duration.ofHours(1));
        assertThatThrownBy(() -> RateLimit.builder().limit(hourly).limit(hourly).build())
                .hasMessage("rateLimit default: limit 'hourly' defined twice (expected: distinct names)");
        assertThatThrownBy(() -> RateLimit.builder().limit(hourly).cost(6).build())
                .hasMessage("rateLimit default: cost 6 exceeds limit 'hourly' burst 5 (expected: cost <= every burst)");
        assertThatThrownBy(() -> RateLimit.builder().cost(0)).hasMessage("rateLimit.cost: 0 (expected: >= 1)");
        assertThatThrownBy(() -> RateLimit.builder().name("a:b"))
                .hasMessage("rateLimit.name: 'a:b' (expected: 1 to 64 letters, digits, '-', '_' or '.')");
    }

    @Test
    void storesAreValidatedAndNeverShowCredentials() {
        assertThatThrownBy(() -> RateLimitStore.local(0, Duration.ofSeconds(1)))
                .hasMessage("rateLimitStore.maxKeys: 0 (expected: 1..100000000)");
        assertThatThrownBy(() -> RateLimitStore.local(10, Duration.ZERO))
                .hasMessage("rateLimitStore.idleExpiry: PT0S (expected: > 0)");
        assertThatThrownBy(() -> RateLimitStore.redis("http://x:1"))
                .hasMessage("redis url: 'http://x:1' (expected: host:port or redis://[[user]:password@]host[:port][/db])");
        assertThatThrownBy(() -> RateLimitStore.redis("ftp://user:hunter2@x:1"))
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> RateLimitStore.redis("redis://x:1").threads(4, 2))
                .hasMessage("rateLimitStore.maxPending: 2 (expected: 4..1000000)");
        assertThatThrownBy(() -> RateLimitStore.redisCluster(List.of()))
                .hasMessage("rateLimitStore.redisCluster: no nodes (expected: at least one host:port)");
        assertThat(RateLimitStore.redis("redis://app:hunter2@cache.internal:6380/2")).hasToString("redis cache.internal:6380");
        assertThat(RedisUrl.parse("redis://app:hunter2@cache.internal:6380/2"))
                .isEqualTo(new RedisUrl("cache.internal", 6380, "app", "hunter2", 2, false))
                .hasToString("cache.internal:6380");
        assertThat(RedisUrl.parse("127.0.0.1:7000")).isEqualTo(new RedisUrl("127.0.0.1", 7000, null, null, 0, false));
        assertThat(RedisUrl.parse("rediss://[::1]").hostAndPort()).isEqualTo("[::1]:6379");
    }

    @Test
    void keysDescribeThemselvesAndHashApiKeys() {
        assertThat(RateLimitKey.of(RateLimitKey.user(), RateLimitKey.route())).hasToString("of(user(sub), route)");
        assertThat(RateLimitKey.apiKey("X-API-Key", "api_key")).hasToString("api-key(header X-API-Key, query api_key)");
        assertThat(RateLimitKey.sha256("secret")).hasSize(32).doesNotContain("secret")
                .isEqualTo(RateLimitKey.sha256("secret")).isNotEqualTo(RateLimitKey.sha256("secret2"));
        assertThatThrownBy(() -> RateLimitKey.apiKey(null, null))
                .hasMessage("rateLimitKey.apiKey: no header and no query parameter (expected: at least one)");
    }

    /**
     * A million distinct keys through a store bounded at 10,000: the cache never holds more than its
     * bound, so memory does not grow with the number of keys seen.
     */
    @Test
    void aMillionDistinctKeysStayWithinTheLocalBound() {
        Policies policies = new Policies(List.of(Limit.of("hourly", 100, Duration.ofHours(1)).burst(200)), true, false);
        LocalBuckets buckets = new LocalBuckets(policies, 10_000, Duration.ofMinutes(10));
        long maxSeen = 0;
        int allowed = 0;
        for (int i = 0; i < 1_000_000; i++) {
            allowed += buckets.tryConsume("client-" + i, 1).allowed() ? 1 : 0;
            if (i % 100_000 == 99_999) {
                buckets.cleanUp();
                maxSeen = Math.max(maxSeen, buckets.size());
            }
        }
        buckets.cleanUp();
        assertThat(allowed).isEqualTo(1_000_000);
        assertThat(buckets.size()).isLessThanOrEqualTo(10_000);
        assertThat(maxSeen).isLessThanOrEqualTo(10_000).isGreaterThan(5_000);
        // a key still held keeps its count
        assertThat(buckets.tryConsume("client-999999", 1).remaining()[0]).isEqualTo(198);
    }

    @Test
    void idleKeysExpire() {
        Policies policies = new Policies(List.of(Limit.of("burst", 1, Duration.ofSeconds(1))), true, false);
        LocalBuckets buckets = new LocalBuckets(policies, 100, Duration.ofMillis(50));
        for (int i = 0; i < 50; i++) {
            buckets.tryConsume("k" + i, 1);
        }
        dev.tollgate.testing.Await.until(() -> {
            buckets.cleanUp();
            return buckets.size() == 0;
        }, "idle buckets to expire");
    }
}
