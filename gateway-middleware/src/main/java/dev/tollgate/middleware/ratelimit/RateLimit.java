package dev.tollgate.middleware.ratelimit;

import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.ratelimit.internal.Limiter;
import dev.tollgate.middleware.ratelimit.internal.LocalBuckets;
import dev.tollgate.middleware.ratelimit.internal.Policies;
import dev.tollgate.middleware.ratelimit.internal.RedisBuckets;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Rate limiting middleware: token buckets per {@linkplain RateLimitKey key}, one per
 * {@linkplain Limit limit}, in a {@linkplain RateLimitStore local or Redis store}.
 *
 * <pre>{@code
 * RateLimit limit = RateLimit.builder()
 *     .key(RateLimitKey.clientAddress())
 *     .limit(Limit.of("burst", 100, Duration.ofSeconds(1)).burst(200))
 *     .limit(Limit.of("daily", 10_000, Duration.ofDays(1)))
 *     .store(RateLimitStore.redis("redis://redis:6379"))
 *     .onRedisFailure(RedisFailurePolicy.FAIL_OPEN)
 *     .build();
 * Gateway.builder().use(limit) ... ;   // close the limit after the gateway
 * }</pre>
 *
 * <p>A request that every limit has room for passes, and its response carries
 * {@code RateLimit-Policy} and {@code RateLimit} (draft-ietf-httpapi-ratelimit-headers), optionally
 * the legacy {@code X-RateLimit-*}. One that some limit lacks room for gets 429 {@code rate-limited}
 * (problem+json naming the violated limit) with {@code Retry-After} and the same headers. Every
 * decision is a {@code GatewayListener.rateLimitDecided} event.
 *
 * <p>Threads: with the local store the decision runs on the IO thread (no lock, no IO). With Redis it
 * runs on the limiter's own bounded executor ({@code exchange.dispatch}) and the request continues
 * from there; an IO thread never waits for Redis.
 *
 * <p>A built limiter is immutable and thread-safe. It owns its buckets, its executor and a Redis
 * client it created; {@link #close()} releases them, after the gateway that uses it has stopped.
 * Using one instance on several routes makes them share the budget.
 */
public final class RateLimit implements Middleware, AutoCloseable {

    private final String name;
    private final RateLimitKey key;
    private final List<Limit> limits;
    private final RateLimitStore store;
    private final RedisFailurePolicy onRedisFailure;
    private final MissingKeyPolicy onMissingKey;
    private final Limiter limiter;

    private RateLimit(Builder b, Limiter limiter) {
        this.name = b.name;
        this.key = b.key;
        this.limits = List.copyOf(b.limits);
        this.store = b.store;
        this.onRedisFailure = b.onRedisFailure;
        this.onMissingKey = b.onMissingKey;
        this.limiter = limiter;
    }

    /** A limiter description with the defaults: keyed by client address, local store, fail open, missing key rejected. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code quota} requests per {@code window} per authenticated user ({@code sub}), in memory. */
    public static RateLimit perUser(long quota, Duration window) {
        return builder().name("per-user").key(RateLimitKey.user()).limit(Limit.of("per-user", quota, window)).build();
    }

    /** {@code quota} requests per {@code window} per client address, in memory. */
    public static RateLimit perClient(long quota, Duration window) {
        return builder().name("per-client").key(RateLimitKey.clientAddress()).limit(Limit.of("per-client", quota, window)).build();
    }

    /** {@code quota} requests per {@code window} per API key in request header {@code header}, in memory. */
    public static RateLimit perApiKey(String header, long quota, Duration window) {
        return builder().name("per-api-key").key(RateLimitKey.apiKeyHeader(header)).limit(Limit.of("per-api-key", quota, window)).build();
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        return limiter.wrap(Objects.requireNonNull(next, "next"));
    }

    public String name() {
        return name;
    }

    public RateLimitKey key() {
        return key;
    }

    public List<Limit> limits() {
        return limits;
    }

    public RateLimitStore store() {
        return store;
    }

    public RedisFailurePolicy onRedisFailure() {
        return onRedisFailure;
    }

    public MissingKeyPolicy onMissingKey() {
        return onMissingKey;
    }

    /** Whether the Redis store is failing now, so the failure policy decides; always false for a local store. */
    public boolean degraded() {
        return limiter.degraded();
    }

    /** Buckets held in memory now: the local store's, or the Redis store's stand-in's. */
    public long localKeys() {
        return limiter.local().size();
    }

    /** Stops the executor and closes a Redis client the limiter created. Call after the gateway stopped. */
    @Override
    public void close() {
        limiter.close();
    }

    @Override
    public String toString() {
        return "RateLimit[" + name + ", key=" + key + ", limits=" + limits + ", store=" + store + "]";
    }

    /** Describes a {@link RateLimit}. Not thread-safe. */
    public static final class Builder {
        private String name = "default";
        private RateLimitKey key = RateLimitKey.clientAddress();
        private final List<Limit> limits = new ArrayList<>();
        private RateLimitStore store = RateLimitStore.local();
        private RedisFailurePolicy onRedisFailure = RedisFailurePolicy.FAIL_OPEN;
        private MissingKeyPolicy onMissingKey = MissingKeyPolicy.REJECT;
        private long fixedCost = 1;
        private ToLongFunction<HttpServerExchange> cost;
        private boolean draftHeaders = true;
        private boolean legacyHeaders;

        private Builder() {
        }

        /**
         * The limiter's name (default {@code default}), in logs, events and Redis key names. Gateways
         * that share a Redis and a name share the buckets; give different limiters different names.
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            this.name = Limit.checkName("rateLimit.name", name);
            return this;
        }

        /** What to count by (default {@link RateLimitKey#clientAddress()}). */
        public Builder key(RateLimitKey key) {
            this.key = Objects.requireNonNull(key, "key");
            return this;
        }

        /** Adds a limit; at least one, names distinct. Every limit must have room for a request. */
        public Builder limit(Limit limit) {
            limits.add(Objects.requireNonNull(limit, "limit"));
            return this;
        }

        /** Where the buckets live (default {@link RateLimitStore#local()}). */
        public Builder store(RateLimitStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /** What a Redis store does while Redis fails (default {@link RedisFailurePolicy#FAIL_OPEN}). */
        public Builder onRedisFailure(RedisFailurePolicy policy) {
            this.onRedisFailure = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** What to do with a request that lacks the key (default {@link MissingKeyPolicy#REJECT}, 401). */
        public Builder onMissingKey(MissingKeyPolicy policy) {
            this.onMissingKey = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Units every request costs (default 1).
         *
         * @throws IllegalArgumentException unless 1 or more (checked against the bursts in {@link #build()})
         */
        public Builder cost(long units) {
            if (units < 1) {
                throw new IllegalArgumentException("rateLimit.cost: " + units + " (expected: >= 1)");
            }
            this.fixedCost = units;
            this.cost = null;
            return this;
        }

        /**
         * Units a request costs, computed per request on the IO thread (must not block); 0 or less lets
         * the request pass without counting. A cost above a limit's burst is always refused.
         */
        public Builder cost(ToLongFunction<HttpServerExchange> cost) {
            this.cost = Objects.requireNonNull(cost, "cost");
            return this;
        }

        /** Whether responses carry {@code RateLimit-Policy} and {@code RateLimit} (default true). */
        public Builder draftHeaders(boolean on) {
            this.draftHeaders = on;
            return this;
        }

        /** Whether responses carry {@code X-RateLimit-Limit}, {@code -Remaining} and {@code -Reset} (default false). */
        public Builder legacyHeaders(boolean on) {
            this.legacyHeaders = on;
            return this;
        }

        /**
         * Validates and builds; a Redis store gets its client and executor here.
         *
         * @throws IllegalStateException when there is no limit, two share a name, or the fixed cost
         *                               exceeds a burst
         */
        public RateLimit build() {
            if (limits.isEmpty()) {
                throw new IllegalStateException("rateLimit " + name + ": no limit (expected: at least one .limit(...))");
            }
            Set<String> names = new HashSet<>();
            for (Limit l : limits) {
                if (!names.add(l.name())) {
                    throw new IllegalStateException("rateLimit " + name + ": limit '" + l.name()
                            + "' defined twice (expected: distinct names)");
                }
                if (cost == null && fixedCost > l.burst()) {
                    throw new IllegalStateException("rateLimit " + name + ": cost " + fixedCost + " exceeds limit '"
                            + l.name() + "' burst " + l.burst() + " (expected: cost <= every burst)");
                }
            }
            Policies policies = new Policies(limits, draftHeaders, legacyHeaders);
            long units = fixedCost;
            ToLongFunction<HttpServerExchange> costOf = cost != null ? cost : exchange -> units;
            Limiter limiter;
            if (store instanceof RateLimitStore.Redis redis) {
                LocalBuckets standIn = local(redis.fallback(), policies);
                RedisBuckets buckets = RedisBuckets.create(redis, name, policies);
                limiter = new Limiter(name, key, costOf, onMissingKey, onRedisFailure, policies, standIn, buckets,
                        "rate limit '" + name + "' (" + redis + ")", redis.threads(), redis.maxPending(), redis.probeInterval());
            } else {
                limiter = new Limiter(name, key, costOf, onMissingKey, onRedisFailure, policies,
                        local((RateLimitStore.Local) store, policies), null, "rate limit '" + name + "' (" + store + ")",
                        0, 0, Duration.ofSeconds(1));
            }
            return new RateLimit(this, limiter);
        }

        private static LocalBuckets local(RateLimitStore.Local local, Policies policies) {
            return new LocalBuckets(policies, local.maxKeys(), local.idleExpiry().orElse(policies.longestRefill()));
        }
    }
}
