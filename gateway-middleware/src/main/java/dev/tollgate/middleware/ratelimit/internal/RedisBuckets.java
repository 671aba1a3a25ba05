package dev.tollgate.middleware.ratelimit.internal;

import dev.tollgate.middleware.ratelimit.RateLimitStore;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.serialization.Mapper;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.UnifiedJedis;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Buckets in Redis through bucket4j's jedis integration (compare-and-swap with Lua scripts, one key
 * per bucket, TTL from the time to refill). Every method blocks on the network: call them only from
 * the limiter's executor, never from an IO thread. Thread-safe.
 */
public final class RedisBuckets implements AutoCloseable {

    private final UnifiedJedis client;
    private final boolean owned;
    private final ProxyManager<String> proxies;
    private final Policies policies;
    private final Supplier<BucketConfiguration> configuration;
    private final String keyStart;
    private final String probeKey;

    private RedisBuckets(UnifiedJedis client, boolean owned, RateLimitStore.Redis store, String limiter, Policies policies) {
        this.client = client;
        this.owned = owned;
        this.policies = policies;
        BucketConfiguration config = policies.configuration();
        this.configuration = () -> config;
        this.proxies = Bucket4jJedis.casBasedBuilder(client)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(store.keepAfterRefill()))
                .requestTimeout(store.timeout())
                .keyMapper(Mapper.STRING)
                .build();
        this.keyStart = store.keyPrefix() + ":" + limiter + ":{";
        this.probeKey = store.keyPrefix() + ":" + limiter + ":probe";
    }

    /** Connects as the store says (a client made here is closed by {@link #close()}). */
    public static RedisBuckets create(RateLimitStore.Redis store, String limiter, Policies policies) {
        if (store.client() != null) {
            return new RedisBuckets((UnifiedJedis) store.client(), false, store, limiter, policies);
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, store.timeout().toMillis()));
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(store.threads() + 2);
        pool.setMaxIdle(store.threads() + 2);
        pool.setMaxWait(store.timeout()); // borrowing a connection is bounded too
        pool.setJmxEnabled(false);
        if (store.url().isPresent()) {
            RedisUrl url = RedisUrl.parse(store.url().get());
            UnifiedJedis client = RedisClient.builder()
                    .hostAndPort(new HostAndPort(url.host(), url.port()))
                    .clientConfig(config(url, millis))
                    .poolConfig(pool)
                    .build();
            return new RedisBuckets(client, true, store, limiter, policies);
        }
        Set<HostAndPort> nodes = new LinkedHashSet<>();
        RedisUrl first = null;
        for (String node : store.clusterNodes()) {
            RedisUrl url = RedisUrl.parse(node);
            first = first == null ? url : first;
            nodes.add(new HostAndPort(url.host(), url.port()));
        }
        UnifiedJedis client = RedisClusterClient.builder()
                .nodes(nodes)
                .clientConfig(config(first, millis))
                .poolConfig(pool)
                .maxAttempts(2)
                .maxTotalRetriesDuration(store.timeout().multipliedBy(3))
                .build();
        return new RedisBuckets(client, true, store, limiter, policies);
    }

    private static DefaultJedisClientConfig config(RedisUrl url, int timeoutMillis) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis)
                .database(url.database())
                .ssl(url.ssl())
                .clientName("tollgate-ratelimit");
        if (url.password() != null) {
            b.user(url.user()).password(url.password());
        }
        return b.build();
    }

    /** Consumes {@code cost} from the key's bucket in Redis. Blocks for up to the store's timeout per call. */
    public Decision tryConsume(String key, long cost) {
        return policies.decide(proxies.builder().build(redisKey(key), configuration).asVerbose()
                .tryConsumeAndReturnRemaining(cost), cost);
    }

    /** One cheap round trip (a GET); throws when Redis does not answer. Blocks. */
    public void probe() {
        proxies.getProxyConfiguration(probeKey);
    }

    /**
     * The Redis key of a bucket: {@code prefix:limiter:{value}}. The braces are a Redis Cluster hash
     * tag, so a bucket's key always maps to one slot; braces inside the value are escaped so the tag
     * stays whole.
     */
    public String redisKey(String key) {
        StringBuilder sb = new StringBuilder(keyStart.length() + key.length() + 8).append(keyStart);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            switch (c) {
                case '{' -> sb.append("%7B");
                case '}' -> sb.append("%7D");
                case '%' -> sb.append("%25");
                default -> sb.append(c);
            }
        }
        return sb.append('}').toString();
    }

    @Override
    public void close() {
        if (owned) {
            client.close();
        }
    }
}
