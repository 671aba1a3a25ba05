package dev.tollgate.middleware.ratelimit;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.ratelimit.RateLimitFixture.Recorder;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tollgate.middleware.ratelimit.RateLimitFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limiter on a three-node Redis Cluster that the test starts on loopback ports: buckets spread
 * over the shards, each whole on one shard (hash-tagged keys), each key limited on its own.
 */
class RedisClusterIT {

    private static final List<RedisServer> nodes = new ArrayList<>();
    private static Path dir;

    @BeforeAll
    static void startCluster() throws Exception {
        String cli = RedisServer.require("redis-cli");
        dir = Files.createTempDirectory("tollgate-cluster");
        for (int i = 0; i < 3; i++) {
            Path conf = dir.resolve("nodes-" + i + ".conf");
            nodes.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", conf.toString(),
                    "--cluster-node-timeout", "2000", "--dir", dir.toString()));
        }
        List<String> create = new ArrayList<>(List.of(cli, "--cluster", "create"));
        nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
        create.add("--cluster-yes");
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("redis-cli --cluster create finished: %s", out).isTrue();
        assertThat(p.exitValue()).as("redis-cli --cluster create: %s", out).isZero();
        for (RedisServer n : nodes) {
            Await.until(() -> clusterOk(n), Duration.ofSeconds(30), "cluster_state:ok on port " + n.port());
        }
    }

    private static boolean clusterOk(RedisServer node) {
        try (Jedis jedis = new Jedis("127.0.0.1", node.port(), 1000)) {
            return jedis.clusterInfo().contains("cluster_state:ok");
        } catch (RuntimeException e) {
            return false;
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (RedisServer n : nodes) {
            n.close();
        }
        nodes.clear();
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void eachKeyIsLimitedOnItsOwnAndTheBucketsSpreadOverTheShards() throws Exception {
        Recorder events = new Recorder();
        RateLimit limit = RateLimit.builder().name("cluster").key(RateLimitKey.apiKeyHeader("X-API-Key"))
                .limit(Limit.of("hourly", 2, Duration.ofHours(1)))
                .store(RateLimitStore.redisCluster(List.of("127.0.0.1:" + nodes.get(0).port()))
                        .timeout(Duration.ofSeconds(2)))
                .build();
        try (TestBackend backend = TestBackend.start("b");
             Gateway g = RateLimitFixture.gateway(backend.uri(), events, limit);
             limit) {
            for (int k = 0; k < 12; k++) {
                String key = "key-" + k;
                assertThat(get(g, "/x", "X-API-Key", key).statusCode()).isEqualTo(200);
                assertThat(get(g, "/x", "X-API-Key", key).statusCode()).isEqualTo(200);
                assertThat(get(g, "/x", "X-API-Key", key).statusCode()).as("third request of %s", key).isEqualTo(429);
            }
            assertThat(events.storeChanges).isEmpty();
            assertThat(events.decided).noneMatch(Recorder.Decided::standIn);
            int total = 0;
            int shardsWithBuckets = 0;
            for (RedisServer n : nodes) {
                try (Jedis jedis = new Jedis("127.0.0.1", n.port(), 1000)) {
                    int here = jedis.keys("tollgate:rl:cluster:*").size();
                    total += here;
                    shardsWithBuckets += here > 0 ? 1 : 0;
                }
            }
            assertThat(total).as("one key per bucket").isEqualTo(12);
            assertThat(shardsWithBuckets).as("shards holding buckets").isGreaterThanOrEqualTo(2);
        }
    }
}
