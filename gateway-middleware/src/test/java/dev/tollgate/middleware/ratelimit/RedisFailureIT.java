package dev.tollgate.middleware.ratelimit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tollgate.Gateway;
import dev.tollgate.middleware.ratelimit.RateLimitFixture.Recorder;
import dev.tollgate.middleware.ratelimit.internal.Limiter;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.FaultProxy;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.tollgate.middleware.ratelimit.RateLimitFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis going away in the middle: a Redis this test started itself is killed and started again. Fail
 * open keeps limiting with local buckets, fail closed answers 503, both switch back once Redis answers,
 * and each switch is one event.
 */
class RedisFailureIT {

    private final List<AutoCloseable> closing = new ArrayList<>();
    private RedisServer redis;
    private TestBackend backend;
    private Recorder events;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void start() throws Exception {
        logs.start();
        Logger limiterLog = (Logger) LoggerFactory.getLogger(Limiter.class);
        limiterLog.setLevel(Level.INFO); // the tests' configuration logs WARN and above only
        limiterLog.addAppender(logs);
        redis = RedisServer.start();
        backend = TestBackend.start("b");
        events = new Recorder();
    }

    @AfterEach
    void stop() throws Exception {
        Logger limiterLog = (Logger) LoggerFactory.getLogger(Limiter.class);
        limiterLog.detachAppender(logs);
        limiterLog.setLevel(null);
        RateLimitFixture.closeAll(closing);
        backend.close();
        redis.close();
    }

    private Gateway gateway(RateLimit limit) {
        closing.add(limit);
        Gateway g = RateLimitFixture.gateway(backend.uri(), events, limit);
        closing.add(g);
        return g;
    }

    private static RateLimit limiter(String redisUrl, RedisFailurePolicy policy) {
        return RateLimit.builder().name("failover").limit(Limit.of("hourly", 5, Duration.ofHours(1)))
                .store(RateLimitStore.redis(redisUrl).timeout(Duration.ofSeconds(1)).probeInterval(Duration.ofMillis(100)))
                .onRedisFailure(policy).build();
    }

    private static void awaitPassing(Gateway g, String what) {
        Await.until(() -> {
            try {
                return get(g, "/x").statusCode() == 200;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(15), what);
    }

    private static String rateLimit(HttpResponse<?> r) {
        return r.headers().firstValue("RateLimit").orElse("");
    }

    @Test
    void failOpenLimitsLocallyWhileRedisIsDownAndGoesBackToRedis() throws Exception {
        RateLimit limit = limiter(redis.url(), RedisFailurePolicy.FAIL_OPEN);
        Gateway g = gateway(limit);
        assertThat(rateLimit(get(g, "/x"))).startsWith("\"hourly\";r=4;");
        assertThat(rateLimit(get(g, "/x"))).startsWith("\"hourly\";r=3;");

        redis.kill();
        // the stand-in starts its own bucket: five more pass, the sixth is refused, so protection stays
        for (int i = 4; i >= 0; i--) {
            HttpResponse<String> r = get(g, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(rateLimit(r)).startsWith("\"hourly\";r=" + i + ";");
        }
        assertThat(get(g, "/x").statusCode()).isEqualTo(429);
        assertThat(limit.degraded()).isTrue();
        assertThat(events.decided.subList(2, events.decided.size())).allMatch(Recorder.Decided::standIn);
        assertThat(events.storeChanges).hasSize(1);
        assertThat(events.storeChanges.get(0).degraded()).isTrue();
        assertThat(events.storeChanges.get(0).store()).isEqualTo("rate limit 'failover' (redis 127.0.0.1:" + redis.port() + ")");

        redis.restart(); // empty: its buckets start full
        Await.until(() -> {
            if (!limit.degraded()) {
                return true;
            }
            try {
                get(g, "/x"); // requests drive the probes; while degraded the stand-in decides them
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return false;
        }, Duration.ofSeconds(15), "the limiter to go back to Redis");
        HttpResponse<String> back = get(g, "/x");
        assertThat(back.statusCode()).isEqualTo(200);
        assertThat(events.decided.get(events.decided.size() - 1).standIn()).isFalse();
        // the restarted Redis is empty: its bucket counts only the requests it decided (a request may
        // have reached it just before this one, while the awaiting loop was still sending)
        long decidedByRedis = events.decided.subList(2, events.decided.size()).stream().filter(d -> !d.standIn()).count();
        assertThat(decidedByRedis).isBetween(1L, 2L);
        assertThat(rateLimit(back)).startsWith("\"hourly\";r=" + (5 - decidedByRedis) + ";");
        assertThat(events.storeChanges).extracting(Recorder.StoreChange::degraded).containsExactly(true, false);
        assertThat(events.storeChanges.get(1).reason()).isEqualTo("recovered");
        // the switch and the recovery are logged once each
        assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).startsWith("rate limit 'failover' (redis 127.0.0.1:" + redis.port() + ") failed (")
                        .endsWith("; limiting with local buckets until it answers again"));
        assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.INFO).singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("answers again; deciding with it"));
    }

    @Test
    void failClosedAnswers503WhileRedisIsDownAndRecovers() throws Exception {
        RateLimit limit = limiter(redis.url(), RedisFailurePolicy.FAIL_CLOSED);
        Gateway g = gateway(limit);
        assertThat(get(g, "/x").statusCode()).isEqualTo(200);
        redis.kill();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = get(g, "/x");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(r.body()).contains("\"code\":\"unavailable\"", "rate limit 'failover': its store is unavailable");
        }
        assertThat(backend.requestCount()).isEqualTo(1);
        redis.restart();
        awaitPassing(g, "requests to pass again once Redis is back");
        assertThat(limit.degraded()).isFalse();
        assertThat(events.storeChanges).extracting(Recorder.StoreChange::degraded).containsExactly(true, false);
    }

    /** A Redis that accepts but never answers: the call times out, and the request is decided anyway. */
    @Test
    void aRedisThatHangsTimesOutIntoTheFailurePolicy() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(redis.port())) {
            RateLimit limit = RateLimit.builder().name("hang").limit(Limit.of("hourly", 5, Duration.ofHours(1)))
                    .store(RateLimitStore.redis("127.0.0.1:" + proxy.port()).timeout(Duration.ofMillis(300))
                            .probeInterval(Duration.ofMillis(100)))
                    .onRedisFailure(RedisFailurePolicy.FAIL_CLOSED).build();
            Gateway g = gateway(limit);
            assertThat(get(g, "/x").statusCode()).isEqualTo(200);
            proxy.mode(FaultProxy.Mode.BLACKHOLE);
            HttpResponse<String> hung = get(g, "/x");
            assertThat(hung.statusCode()).isEqualTo(503);
            assertThat(limit.degraded()).isTrue();
            assertThat(events.storeChanges.get(0).reason()).containsIgnoringCase("timeout");
            proxy.mode(FaultProxy.Mode.PASS);
            awaitPassing(g, "requests to pass again once Redis answers");
        }
    }

    /**
     * More decisions than the limiter lets wait for Redis: the extra request gets the failure
     * policy at once (here 503) instead of queueing, and the limiter does not count it as a Redis
     * failure.
     */
    @Test
    void aFullLimiterShedsAtOnceWithoutSwitchingOver() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(redis.port())) {
            RateLimit limit = RateLimit.builder().name("full").limit(Limit.of("hourly", 5, Duration.ofHours(1)))
                    .store(RateLimitStore.redis("127.0.0.1:" + proxy.port()).timeout(Duration.ofSeconds(5)).threads(1, 1))
                    .onRedisFailure(RedisFailurePolicy.FAIL_CLOSED).build();
            Gateway g = gateway(limit);
            proxy.mode(FaultProxy.Mode.delay(Duration.ofMillis(700))); // every Redis reply late, within the timeout
            CompletableFuture<HttpResponse<String>> slow = RateLimitFixture.CLIENT.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // the limiter's only lane is busy once its thread waits on a Redis reply (the pool may
            // have connected before the request, so an open connection alone proves nothing)
            Await.until(() -> Thread.getAllStackTraces().entrySet().stream().anyMatch(e ->
                    e.getKey().getName().startsWith("tollgate-ratelimit-full") && java.util.Arrays.stream(e.getValue())
                            .anyMatch(f -> f.getClassName().contains("Socket") && f.getMethodName().contains("read"))),
                    Duration.ofSeconds(10), "the first decision to wait on Redis");
            HttpResponse<String> shed = get(g, "/x");
            assertThat(shed.statusCode()).isEqualTo(503);
            assertThat(shed.body()).contains("\"code\":\"unavailable\"");
            assertThat(slow.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(limit.degraded()).isFalse();
            assertThat(events.storeChanges).isEmpty();
        }
    }
}
