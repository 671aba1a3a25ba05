package dev.tollgate.examples.standalone;

import dev.tollgate.Gateway;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.middleware.ratelimit.Limit;
import dev.tollgate.middleware.ratelimit.RateLimit;
import dev.tollgate.middleware.ratelimit.RateLimitKey;
import dev.tollgate.middleware.ratelimit.RateLimitStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The standalone gateway's rate limit, per client address, from the environment:
 *
 * <table>
 *   <caption>Variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>RATE_LIMIT_ENABLED</td><td>true</td><td>limit each client address</td></tr>
 *   <tr><td>RATE_LIMIT_REQUESTS_PER_SECOND</td><td>100</td><td>the sustained rate per client</td></tr>
 *   <tr><td>RATE_LIMIT_BURST</td><td>200 (or the rate, if higher)</td><td>requests a quiet client may send at once</td></tr>
 *   <tr><td>REDIS_URL</td><td>unset</td><td>{@code redis://host:port} or {@code host:port}: share the
 *       limit with every gateway on that Redis (fail open to local buckets while it is down); unset: in memory</td></tr>
 * </table>
 */
final class RateLimitEnv {

    private static final Logger log = LoggerFactory.getLogger(RateLimitEnv.class);

    private RateLimitEnv() {
    }

    /**
     * Adds the limiter to {@code gateway} unless disabled. It lives as long as the process: its
     * executor threads are daemons and the Redis client closes with the JVM.
     *
     * @throws dev.tollgate.config.ConfigException naming the variable that is wrong
     */
    static void apply(EnvConfig env, Gateway.Builder gateway) {
        if (!env.bool("RATE_LIMIT_ENABLED", true)) {
            log.info("rate limiting is off (RATE_LIMIT_ENABLED=false)");
            return;
        }
        int rate = env.integer("RATE_LIMIT_REQUESTS_PER_SECOND", 100);
        int burst = env.integer("RATE_LIMIT_BURST", Math.max(200, rate));
        Limit[] limit = new Limit[1];
        env.apply("RATE_LIMIT_REQUESTS_PER_SECOND", () -> limit[0] = Limit.of("per-client", rate, Duration.ofSeconds(1)));
        env.apply("RATE_LIMIT_BURST", () -> limit[0] = limit[0].burst(burst));
        RateLimitStore[] store = {RateLimitStore.local()};
        String redisUrl = env.value("REDIS_URL");
        if (redisUrl != null) {
            env.apply("REDIS_URL", () -> store[0] = RateLimitStore.redis(redisUrl));
        }
        RateLimit rateLimit = RateLimit.builder().name("standalone").key(RateLimitKey.clientAddress())
                .limit(limit[0]).store(store[0]).build();
        gateway.use(rateLimit);
        log.info("rate limiting: {} requests per second per client, burst {}, {}", rate, burst,
                redisUrl == null ? "in memory" : "shared through " + store[0]);
    }
}
