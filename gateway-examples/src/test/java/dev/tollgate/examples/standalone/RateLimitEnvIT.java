package dev.tollgate.examples.standalone;

import dev.tollgate.config.ConfigException;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standalone gateway's RATE_LIMIT_* and REDIS_URL variables, on a gateway started in this JVM. */
class RateLimitEnvIT {

    private final HttpClient client = HttpClient.newHttpClient();
    private TestBackend backend;
    private StandaloneGateway running;

    @BeforeEach
    void startBackend() {
        backend = TestBackend.start("b");
    }

    @AfterEach
    void stop() {
        if (running != null) {
            running.stop();
        }
        backend.close();
    }

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("GATEWAY_PORT", "0", "GATEWAY_HOST", "127.0.0.1",
                "GATEWAY_BACKEND_TARGET", backend.uri().toString(), "GATEWAY_DRAIN_TIMEOUT", "1s"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private HttpResponse<String> get() throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.gateway().port() + "/x")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void onByDefaultWithAHundredPerSecondAndABurstOfTwoHundred() throws Exception {
        running = StandaloneGateway.start(env());
        HttpResponse<String> r = get();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("RateLimit-Policy")).contains("\"per-client\";q=100;w=1");
        assertThat(r.headers().firstValue("RateLimit").orElseThrow()).startsWith("\"per-client\";r=199;");
    }

    @Test
    void theRateAndBurstComeFromTheEnvironment() throws Exception {
        running = StandaloneGateway.start(env("RATE_LIMIT_REQUESTS_PER_SECOND", "1", "RATE_LIMIT_BURST", "2"));
        assertThat(get().statusCode()).isEqualTo(200);
        assertThat(get().statusCode()).isEqualTo(200);
        HttpResponse<String> refused = get();
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).contains("1");
        assertThat(backend.requestCount()).isEqualTo(2);
    }

    @Test
    void disabledMeansNoLimitAndNoHeaders() throws Exception {
        running = StandaloneGateway.start(env("RATE_LIMIT_ENABLED", "false", "RATE_LIMIT_REQUESTS_PER_SECOND", "1",
                "RATE_LIMIT_BURST", "1"));
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = get();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("RateLimit")).isEmpty();
        }
    }

    @Test
    void redisUrlSharesTheLimitThroughRedis() throws Exception {
        TestRedis.Endpoint redis = TestRedis.requireAvailable();
        try (UnifiedJedis jedis = RedisClient.builder().hostAndPort(new HostAndPort(redis.host(), redis.port()))
                .clientConfig(redis.password() == null ? DefaultJedisClientConfig.builder().build()
                        : DefaultJedisClientConfig.builder().user(redis.user()).password(redis.password()).build())
                .build()) {
            jedis.keys("tollgate:rl:standalone:*").forEach(jedis::del); // an earlier run's bucket
            String credentials = redis.password() == null ? ""
                    : (redis.user() == null ? "" : redis.user()) + ":" + redis.password() + "@";
            running = StandaloneGateway.start(env("RATE_LIMIT_REQUESTS_PER_SECOND", "1", "RATE_LIMIT_BURST", "2",
                    "REDIS_URL", "redis://" + credentials + redis.host() + ":" + redis.port()));
            assertThat(get().statusCode()).isEqualTo(200);
            assertThat(get().statusCode()).isEqualTo(200);
            assertThat(get().statusCode()).isEqualTo(429);
            assertThat(jedis.keys("tollgate:rl:standalone:*")).containsExactly("tollgate:rl:standalone:{127.0.0.1}");
        }
    }

    @Test
    void badValuesNameTheirVariable() {
        assertThatThrownBy(() -> StandaloneGateway.start(env("RATE_LIMIT_ENABLED", "perhaps")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("RATE_LIMIT_ENABLED: 'perhaps' is not a boolean (expected: true or false)");
        assertThatThrownBy(() -> StandaloneGateway.start(env("RATE_LIMIT_REQUESTS_PER_SECOND", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("RATE_LIMIT_REQUESTS_PER_SECOND='0': limit per-client.quota: 0 (expected: >= 1)");
        assertThatThrownBy(() -> StandaloneGateway.start(env("RATE_LIMIT_REQUESTS_PER_SECOND", "50", "RATE_LIMIT_BURST", "10")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("RATE_LIMIT_BURST='10': limit per-client.burst: 10 (expected: >= quota 50)");
        assertThatThrownBy(() -> StandaloneGateway.start(env("REDIS_URL", "http://cache:6379")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("REDIS_URL='http://cache:6379': redis url: 'http://cache:6379' (expected: host:port");
    }
}
