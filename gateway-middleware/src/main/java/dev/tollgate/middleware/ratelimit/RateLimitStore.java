package dev.tollgate.middleware.ratelimit;

import dev.tollgate.internal.Checks;
import dev.tollgate.middleware.ratelimit.internal.RedisUrl;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a rate limiter keeps its buckets: {@linkplain #local() in this process}, or
 * {@linkplain #redis(String) in Redis}, shared by every gateway instance that uses the same Redis
 * and limiter name. A store is a description; the limiter built with it creates (and on
 * {@link RateLimit#close()} releases) the caches, clients and threads. Immutable and thread-safe.
 */
public abstract sealed class RateLimitStore permits RateLimitStore.Local, RateLimitStore.Redis {

    private RateLimitStore() {
    }

    /** The local store with its defaults: 100,000 keys, idle keys dropped once refilled. */
    public static Local local() {
        return new Local(100_000, null);
    }

    /**
     * Buckets in this process's memory, at most {@code maxKeys} of them; a key unused for
     * {@code idleExpiry} is dropped (and starts with a full bucket when it comes back), and beyond
     * {@code maxKeys} the least recently used keys go first. So a flood of distinct keys costs at
     * most {@code maxKeys} buckets (a few hundred bytes each).
     *
     * @param maxKeys 1 to 100,000,000
     * @param idleExpiry positive; shorter than a limit's time to refill from empty (burst / rate) it
     *                   forgets consumption early
     */
    public static Local local(long maxKeys, Duration idleExpiry) {
        return new Local(maxKeys, Checks.positive("rateLimitStore.idleExpiry", idleExpiry));
    }

    /**
     * A single Redis, created and owned by the limiter: {@code redis://[[user]:password@]host[:port][/db]},
     * {@code rediss://...} for TLS, or {@code host:port}.
     *
     * @throws IllegalArgumentException if the URL is malformed
     */
    public static Redis redis(String url) {
        Objects.requireNonNull(url, "url");
        RedisUrl.parse(url); // fail here, not at build()
        return new Redis(url, List.of(), null, Redis.DEFAULTS);
    }

    /**
     * A Redis Cluster, created and owned by the limiter, found through one or more of its nodes
     * ({@code host:port}). Bucket keys carry a hash tag, so each bucket lives on one shard.
     */
    public static Redis redisCluster(List<String> nodes) {
        Objects.requireNonNull(nodes, "nodes");
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("rateLimitStore.redisCluster: no nodes (expected: at least one host:port)");
        }
        nodes.forEach(RedisUrl::parse);
        return new Redis(null, List.copyOf(nodes), null, Redis.DEFAULTS);
    }

    /**
     * Your own jedis client ({@code RedisClient}, {@code RedisClusterClient}, or any
     * {@code redis.clients.jedis.UnifiedJedis}); you configure its timeouts (keep them short: a
     * decision waits for them) and close it after the limiter. {@link Redis#timeout} does not apply
     * to it.
     */
    public static Redis redis(redis.clients.jedis.UnifiedJedis client) {
        Objects.requireNonNull(client, "client");
        return new Redis(null, List.of(), client, Redis.DEFAULTS);
    }

    /** In-memory buckets. See {@link RateLimitStore#local(long, Duration)}. */
    public static final class Local extends RateLimitStore {
        private final long maxKeys;
        private final Duration idleExpiry;

        private Local(long maxKeys, Duration idleExpiry) {
            if (maxKeys < 1 || maxKeys > 100_000_000L) {
                throw new IllegalArgumentException("rateLimitStore.maxKeys: " + maxKeys + " (expected: 1..100000000)");
            }
            this.maxKeys = maxKeys;
            this.idleExpiry = idleExpiry;
        }

        public long maxKeys() {
            return maxKeys;
        }

        /** The idle expiry, or empty for the default: the longest time any limit takes to refill from empty. */
        public Optional<Duration> idleExpiry() {
            return Optional.ofNullable(idleExpiry);
        }

        @Override
        public String toString() {
            return "local(maxKeys=" + maxKeys + (idleExpiry == null ? "" : ", idleExpiry=" + idleExpiry) + ")";
        }
    }

    /** Buckets in Redis, shared by gateway instances. See {@link RateLimitStore#redis(String)}. */
    public static final class Redis extends RateLimitStore {

        private record Options(Duration timeout, String keyPrefix, Duration probeInterval, int threads, int maxPending,
                               Duration keepAfterRefill, Local fallback) {
        }

        private static final Options DEFAULTS = new Options(Duration.ofMillis(250), "tollgate:rl",
                Duration.ofSeconds(1), 8, 1024, Duration.ofSeconds(10), local());

        private final String url;
        private final List<String> clusterNodes;
        private final Object client;
        private final Options o;

        private Redis(String url, List<String> clusterNodes, Object client, Options o) {
            this.url = url;
            this.clusterNodes = clusterNodes;
            this.client = client;
            this.o = o;
        }

        /**
         * Connect and socket timeout of every Redis call (default 250 ms); past it the call fails and
         * the limiter's failure policy applies. Not for a client you passed in.
         */
        public Redis timeout(Duration timeout) {
            Checks.positive("rateLimitStore.timeout", timeout);
            return new Redis(url, clusterNodes, client, new Options(timeout, o.keyPrefix, o.probeInterval, o.threads,
                    o.maxPending, o.keepAfterRefill, o.fallback));
        }

        /** Prefix of the Redis keys (default {@code tollgate:rl}); a key is {@code prefix:limiter:{value}}. */
        public Redis keyPrefix(String keyPrefix) {
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            if (keyPrefix.isEmpty() || keyPrefix.contains("{") || keyPrefix.contains("}")) {
                throw new IllegalArgumentException("rateLimitStore.keyPrefix: '" + keyPrefix
                        + "' (expected: non-empty, without '{' or '}')");
            }
            return new Redis(url, clusterNodes, client, new Options(o.timeout, keyPrefix, o.probeInterval, o.threads,
                    o.maxPending, o.keepAfterRefill, o.fallback));
        }

        /** While Redis is failing, how often one request's worth of Redis is tried again (default 1 s). */
        public Redis probeInterval(Duration probeInterval) {
            Checks.positive("rateLimitStore.probeInterval", probeInterval);
            return new Redis(url, clusterNodes, client, new Options(o.timeout, o.keyPrefix, probeInterval, o.threads,
                    o.maxPending, o.keepAfterRefill, o.fallback));
        }

        /**
         * Threads that make the Redis calls (default 8), each a lane that a key always uses (so an
         * instance never races itself on one bucket), and how many decisions may wait for them or run
         * at once (default 1024); beyond that a request is decided by the failure policy at once
         * (local stand-in, or 503), never queued without bound.
         */
        public Redis threads(int threads, int maxPending) {
            Checks.range("rateLimitStore.threads", threads, 1, 256);
            Checks.range("rateLimitStore.maxPending", maxPending, threads, 1_000_000);
            return new Redis(url, clusterNodes, client, new Options(o.timeout, o.keyPrefix, o.probeInterval, threads,
                    maxPending, o.keepAfterRefill, o.fallback));
        }

        /**
         * How long a bucket stays in Redis after it would have refilled completely (default 10 s); its
         * key's TTL is refill time plus this, so idle keys leave Redis by themselves.
         */
        public Redis keepAfterRefill(Duration keepAfterRefill) {
            Objects.requireNonNull(keepAfterRefill, "keepAfterRefill");
            if (keepAfterRefill.isNegative()) {
                throw new IllegalArgumentException("rateLimitStore.keepAfterRefill: " + keepAfterRefill + " (expected: >= 0)");
            }
            return new Redis(url, clusterNodes, client, new Options(o.timeout, o.keyPrefix, o.probeInterval, o.threads,
                    o.maxPending, keepAfterRefill, o.fallback));
        }

        /** The local store that stands in while Redis fails under {@code FAIL_OPEN} (default {@link #local()}). */
        public Redis fallback(Local fallback) {
            Objects.requireNonNull(fallback, "fallback");
            return new Redis(url, clusterNodes, client, new Options(o.timeout, o.keyPrefix, o.probeInterval, o.threads,
                    o.maxPending, o.keepAfterRefill, fallback));
        }

        /** The URL of a single Redis, if the store was made from one. */
        public Optional<String> url() {
            return Optional.ofNullable(url);
        }

        /** The cluster seed nodes; empty unless made by {@link RateLimitStore#redisCluster}. */
        public List<String> clusterNodes() {
            return clusterNodes;
        }

        /** The caller's own client, or null. */
        public Object client() {
            return client;
        }

        public Duration timeout() {
            return o.timeout;
        }

        public String keyPrefix() {
            return o.keyPrefix;
        }

        public Duration probeInterval() {
            return o.probeInterval;
        }

        public int threads() {
            return o.threads;
        }

        public int maxPending() {
            return o.maxPending;
        }

        public Duration keepAfterRefill() {
            return o.keepAfterRefill;
        }

        public Local fallback() {
            return o.fallback;
        }

        /** Where the store is, without credentials: {@code redis 127.0.0.1:6379}. */
        @Override
        public String toString() {
            if (client != null) {
                return "redis (own client)";
            }
            if (url != null) {
                return "redis " + RedisUrl.parse(url).hostAndPort();
            }
            return "redis-cluster " + String.join(",", clusterNodes);
        }
    }
}
