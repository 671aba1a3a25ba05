package dev.tollgate.middleware.ratelimit;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.ratelimit.RateLimitFixture.Recorder;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.providers.PooledConnectionProvider;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static dev.tollgate.middleware.ratelimit.RateLimitFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

/** The limiter on the machine's Redis: shared budgets across gateway instances, key layout and TTL, threads. */
class RedisRateLimitIT {

    private final List<AutoCloseable> closing = new ArrayList<>();
    private TestRedis.Endpoint redis;
    private TestBackend backend;
    private Recorder events;
    private String name;

    @BeforeEach
    void start() {
        redis = TestRedis.requireAvailable();
        backend = TestBackend.start("b");
        events = new Recorder();
        name = "it-" + UUID.randomUUID().toString().substring(0, 8); // fresh buckets every run
    }

    @AfterEach
    void stop() throws Exception {
        RateLimitFixture.closeAll(closing);
        backend.close();
    }

    static String url(TestRedis.Endpoint e) {
        String credentials = e.password() == null ? "" : (e.user() == null ? "" : e.user()) + ":" + e.password() + "@";
        return "redis://" + credentials + e.host() + ":" + e.port();
    }

    static JedisClientConfig clientConfig(TestRedis.Endpoint e) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder().timeoutMillis(1000);
        if (e.password() != null) {
            b.user(e.user()).password(e.password());
        }
        return b.build();
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    private Gateway gateway(RateLimit limit) {
        closeLater(limit);
        return closeLater(RateLimitFixture.gateway(backend.uri(), events, limit));
    }

    @Test
    void redisHoldsOneHashTaggedKeyPerBucketWithATtlAndNoApiKeyInClear() throws Exception {
        Gateway g = gateway(RateLimit.builder().name(name).key(RateLimitKey.apiKeyHeader("X-API-Key"))
                .limit(Limit.of("hourly", 3, Duration.ofHours(1)))
                .store(RateLimitStore.redis(url(redis))).build());
        for (int i = 2; i >= 0; i--) {
            HttpResponse<String> r = get(g, "/x", "X-API-Key", "top-secret-key");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("RateLimit").orElseThrow()).startsWith("\"hourly\";r=" + i + ";t=");
        }
        HttpResponse<String> refused = get(g, "/x", "X-API-Key", "top-secret-key");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1100L, 1200L);
        assertThat(get(g, "/x", "X-API-Key", "another-key").statusCode()).isEqualTo(200);

        try (UnifiedJedis jedis = RedisClient.builder().hostAndPort(new HostAndPort(redis.host(), redis.port()))
                .clientConfig(clientConfig(redis)).build()) {
            Set<String> keys = jedis.keys("tollgate:rl:" + name + ":*");
            assertThat(keys).hasSize(2).allSatisfy(k -> {
                assertThat(k).matches("tollgate:rl:" + name + ":\\{[0-9a-f]{32}}").doesNotContain("secret");
                // refilling 3 units at one per 20 minutes, plus 10 s kept after
                assertThat(jedis.pttl(k)).isPositive().isLessThanOrEqualTo(3_610_000L);
            });
            String exhausted = "tollgate:rl:" + name + ":{" + RateLimitKey.sha256("top-secret-key") + "}";
            assertThat(jedis.pttl(exhausted)).isGreaterThan(3_500_000L);
        }
    }

    /**
     * Two gateway instances share one Redis budget: offered three times the rate between them, open
     * loop, every window admits at most burst + rate x window (+1) in total.
     */
    @Test
    void twoInstancesTogetherStayWithinOneBudget() {
        List<URI> targets = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Gateway g = gateway(RateLimit.builder().name(name).key(RateLimitKey.global())
                    .limit(Limit.of("burst", 20, Duration.ofSeconds(1)).burst(30))
                    // generous: this test is about sharing, not timeouts, and CI machines are busy
                    .store(RateLimitStore.redis(url(redis)).timeout(Duration.ofSeconds(3))).build());
            targets.add(URI.create("http://127.0.0.1:" + g.port() + "/load"));
        }
        RateLimitFixture.offerThreeTimesTheRate(targets, events, 20, 30);
        assertThat(events.storeChanges).isEmpty();
        assertThat(events.decided).noneMatch(Recorder.Decided::standIn);
    }

    /** Every Redis command runs on the limiter's executor; none on an IO thread. */
    @Test
    void noRedisCallRunsOnAnIoThread() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        UnifiedJedis recording = new UnifiedJedis(new PooledConnectionProvider(new HostAndPort(redis.host(), redis.port()),
                clientConfig(redis)), 1, Duration.ofSeconds(1)) {
            @Override
            public Object eval(byte[] script, int keyCount, byte[]... params) {
                threads.add(Thread.currentThread().getName());
                return super.eval(script, keyCount, params);
            }

            @Override
            public byte[] get(byte[] key) {
                threads.add(Thread.currentThread().getName());
                return super.get(key);
            }
        };
        closeLater(recording);
        Gateway g = gateway(RateLimit.builder().name(name).limit(Limit.of("hourly", 100, Duration.ofHours(1)))
                .store(RateLimitStore.redis(recording)).build());
        for (int i = 0; i < 20; i++) {
            assertThat(get(g, "/x").statusCode()).isEqualTo(200);
        }
        assertThat(threads).isNotEmpty().allMatch(t -> t.startsWith("tollgate-ratelimit-" + name + "-"), "a limiter thread");
    }
}
