package dev.tollgate.middleware.ratelimit;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.ratelimit.RateLimitFixture.Recorder;
import dev.tollgate.route.Route;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tollgate.middleware.ratelimit.RateLimitFixture.TEST_AUTH;
import static dev.tollgate.middleware.ratelimit.RateLimitFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

/** The limiter with the local store, through a real gateway: headers, refusals, keys, costs, events, accuracy. */
class RateLimitIT {

    private static final Pattern REMAINING = Pattern.compile("\"hourly\";r=(\\d+);t=(\\d+)");
    private final List<AutoCloseable> closing = new ArrayList<>();
    private TestBackend backend;
    private Recorder events;

    @BeforeEach
    void start() {
        backend = TestBackend.start("b");
        events = new Recorder();
    }

    @AfterEach
    void stop() throws Exception {
        RateLimitFixture.closeAll(closing);
        backend.close();
    }

    private Gateway gateway(RateLimit limit) {
        Gateway g = RateLimitFixture.gateway(backend.uri(), events, TEST_AUTH, limit);
        closing.add(limit);
        closing.add(g);
        return g;
    }

    private static long remaining(HttpResponse<?> r) {
        Matcher m = REMAINING.matcher(r.headers().firstValue("RateLimit").orElseThrow());
        assertThat(m.find()).as("RateLimit header %s", r.headers().firstValue("RateLimit")).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void headersCountDownThenA429WithRetryAfterAndAProblemNamingThePolicy() throws Exception {
        Gateway g = gateway(RateLimit.builder().limit(Limit.of("hourly", 5, Duration.ofHours(1)))
                .legacyHeaders(true).build());
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = get(g, "/x");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("RateLimit-Policy")).contains("\"hourly\";q=5;w=3600");
            long remaining = remaining(r);
            // a unit refills every 12 minutes: without that much time passing, remaining only falls
            assertThat(remaining).isEqualTo(4 - i).isLessThan(previous);
            previous = remaining;
            assertThat(r.headers().firstValue("X-RateLimit-Limit")).contains("5");
            assertThat(r.headers().firstValue("X-RateLimit-Remaining")).contains(String.valueOf(4 - i));
            assertThat(r.headers().firstValue("X-RateLimit-Reset").map(Long::parseLong).orElseThrow())
                    .isBetween(1L, 3600L);
        }
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> refused = get(g, "/x");
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Content-Type")).contains("application/problem+json");
            long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).isBetween(600L, 720L); // 12 minutes for the next unit
            assertThat(remaining(refused)).isZero();
            assertThat(refused.headers().firstValue("RateLimit").orElseThrow()).endsWith(";t=" + retryAfter);
            assertThat(refused.body()).contains("\"status\":429", "\"code\":\"rate-limited\"",
                    "rate limit 'hourly' exceeded (5 per 3600 s)");
        }
        assertThat(backend.requestCount()).isEqualTo(5);
        assertThat(events.decided).extracting(Recorder.Decided::allowed)
                .containsExactly(true, true, true, true, true, false, false, false);
        assertThat(events.decided.get(4).remaining()).isZero();
        assertThat(events.decided).allMatch(d -> d.policy().equals("hourly"));
    }

    @Test
    void severalLimitsAtOnceAndTheViolatedOneIsNamed() throws Exception {
        Gateway g = gateway(RateLimit.builder()
                .limit(Limit.of("hourly", 5, Duration.ofHours(1)))
                .limit(Limit.of("daily", 3, Duration.ofDays(1)))
                .build());
        HttpResponse<String> first = get(g, "/x");
        assertThat(first.headers().firstValue("RateLimit-Policy"))
                .contains("\"hourly\";q=5;w=3600, \"daily\";q=3;w=86400");
        assertThat(first.headers().firstValue("RateLimit").orElseThrow()).startsWith("\"hourly\";r=4;t=")
                .contains(", \"daily\";r=2;t=");
        get(g, "/x");
        get(g, "/x");
        HttpResponse<String> refused = get(g, "/x");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("rate limit 'daily' exceeded (3 per 86400 s)");
        assertThat(events.decided.get(3).policy()).isEqualTo("daily");
        // the refusal consumed nothing from the hourly limit either
        assertThat(refused.headers().firstValue("RateLimit").orElseThrow()).startsWith("\"hourly\";r=2;");
    }

    @Test
    void aRequestCanCostMoreThanOne() throws Exception {
        Gateway g = gateway(RateLimit.builder().limit(Limit.of("hourly", 10, Duration.ofHours(1)))
                .cost(exchange -> exchange.getRequestPath().startsWith("/expensive") ? 4 : 1).build());
        assertThat(remaining(get(g, "/expensive"))).isEqualTo(6);
        assertThat(remaining(get(g, "/cheap"))).isEqualTo(5);
        assertThat(remaining(get(g, "/expensive"))).isEqualTo(1);
        HttpResponse<String> refused = get(g, "/expensive");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(remaining(refused)).isEqualTo(1); // what is left, too little for this cost
        assertThat(get(g, "/cheap").statusCode()).isEqualTo(200);
    }

    @Test
    void usersAreCountedApartAndAMissingUserIsRejectedOrShared() throws Exception {
        Gateway rejecting = gateway(RateLimit.builder().name("users").key(RateLimitKey.user())
                .limit(Limit.of("hourly", 2, Duration.ofHours(1))).build());
        assertThat(get(rejecting, "/x", "X-Test-User", "alice").statusCode()).isEqualTo(200);
        assertThat(get(rejecting, "/x", "X-Test-User", "alice").statusCode()).isEqualTo(200);
        assertThat(get(rejecting, "/x", "X-Test-User", "alice").statusCode()).isEqualTo(429);
        assertThat(get(rejecting, "/x", "X-Test-User", "bob").statusCode()).isEqualTo(200);
        HttpResponse<String> anonymous = get(rejecting, "/x");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(anonymous.body()).contains("\"code\":\"unauthorized\"", "counts by user(sub)");

        Gateway sharing = gateway(RateLimit.builder().name("shared").key(RateLimitKey.user("tenant"))
                .onMissingKey(MissingKeyPolicy.SHARED_ANONYMOUS)
                .limit(Limit.of("hourly", 2, Duration.ofHours(1))).build());
        assertThat(get(sharing, "/x").statusCode()).isEqualTo(200);
        assertThat(get(sharing, "/x", "X-Test-User", "carol").statusCode()).isEqualTo(200); // no tenant claim
        assertThat(get(sharing, "/x").statusCode()).isEqualTo(429);
        assertThat(get(sharing, "/x", "X-Test-User", "carol", "X-Test-Tenant", "t1").statusCode()).isEqualTo(200);
    }

    @Test
    void anApiKeyFromHeaderOrQueryIsOneKeyAndOthersAreApart() throws Exception {
        Gateway g = gateway(RateLimit.builder().key(RateLimitKey.apiKey("X-API-Key", "api_key"))
                .limit(Limit.of("hourly", 2, Duration.ofHours(1))).build());
        assertThat(get(g, "/x", "X-API-Key", "secret-1").statusCode()).isEqualTo(200);
        assertThat(get(g, "/x?api_key=secret-1").statusCode()).isEqualTo(200);
        assertThat(get(g, "/x?api_key=secret-1").statusCode()).isEqualTo(429);
        assertThat(get(g, "/x", "X-API-Key", "secret-2").statusCode()).isEqualTo(200);
        assertThat(get(g, "/x").statusCode()).isEqualTo(401);
    }

    @Test
    void routeAndCombinedKeysCountPerRouteAndPerUserAndRoute() throws Exception {
        RateLimit perRoute = RateLimit.builder().name("route").key(RateLimitKey.route())
                .limit(Limit.of("hourly", 1, Duration.ofHours(1))).build();
        RateLimit perUserAndRoute = RateLimit.builder().name("user-route")
                .key(RateLimitKey.of(RateLimitKey.user(), RateLimitKey.route()))
                .limit(Limit.of("hourly", 1, Duration.ofHours(1))).build();
        closing.add(perRoute);
        closing.add(perUserAndRoute);
        Gateway g = TestGateway.inFrontOf(backend.uri()).listener(events).use(TEST_AUTH)
                .route(Route.prefix("/a").use(perRoute).to("b"))
                .route(Route.prefix("/c").use(perRoute).to("b")) // one instance on two routes: each route its own key
                .route(Route.prefix("/u").use(perUserAndRoute).to("b"))
                .route(Route.prefix("/v").use(perUserAndRoute).to("b"))
                .build().start();
        closing.add(g);
        assertThat(get(g, "/a").statusCode()).isEqualTo(200);
        assertThat(get(g, "/a/more").statusCode()).isEqualTo(429);
        assertThat(get(g, "/c").statusCode()).isEqualTo(200);
        assertThat(get(g, "/u", "X-Test-User", "alice").statusCode()).isEqualTo(200);
        assertThat(get(g, "/u", "X-Test-User", "alice").statusCode()).isEqualTo(429);
        assertThat(get(g, "/v", "X-Test-User", "alice").statusCode()).isEqualTo(200);
        assertThat(get(g, "/u", "X-Test-User", "bob").statusCode()).isEqualTo(200);
    }

    @Test
    void theRouteKeyIsMissingBeforeRouting() throws Exception {
        Gateway g = gateway(RateLimit.builder().key(RateLimitKey.route())
                .limit(Limit.of("hourly", 5, Duration.ofHours(1))).build());
        assertThat(get(g, "/x").statusCode()).isEqualTo(401);
    }

    @Test
    void headersCanBeTurnedOffButRetryAfterStays() throws Exception {
        Gateway g = gateway(RateLimit.builder().draftHeaders(false).limit(Limit.of("hourly", 1, Duration.ofHours(1))).build());
        HttpResponse<String> ok = get(g, "/x");
        assertThat(ok.headers().firstValue("RateLimit")).isEmpty();
        assertThat(ok.headers().firstValue("RateLimit-Policy")).isEmpty();
        HttpResponse<String> refused = get(g, "/x");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused.headers().firstValue("RateLimit")).isEmpty();
    }

    /**
     * Offered three times the rate for four seconds, open loop: in every window the admitted count
     * stays within burst + rate x window (+1), and the limiter admits about the rate, not far less.
     */
    @Test
    void atThreeTimesTheRateEveryWindowStaysWithinBurstPlusRate() {
        Gateway g = gateway(RateLimit.builder().limit(Limit.of("burst", 20, Duration.ofSeconds(1)).burst(30)).build());
        URI target = URI.create("http://127.0.0.1:" + g.port() + "/load");
        RateLimitFixture.offerThreeTimesTheRate(List.of(target), events, 20, 30);
    }
}
