package dev.tollgate.route;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.HashKey;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Canary splits end to end: a real gateway in front of two real backends. */
class CanarySplitIT {

    private final TestBackend stable = TestBackend.start("stable");
    private final TestBackend canary = TestBackend.start("canary");
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Gateway gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        stable.close();
        canary.close();
    }

    private void start(Split.Builder split, Middleware... middleware) {
        Route.Builder route = Route.prefix("/").split(split);
        for (Middleware m : middleware) {
            route.use(m);
        }
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("stable").endpoint(stable.uri()))
                .upstream(Upstream.builder("canary").endpoint(canary.uri()))
                .route(route)
                .build().start();
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r;
    }

    private static String backend(HttpResponse<?> r) {
        return r.headers().firstValue(TestBackend.BACKEND_HEADER).orElseThrow();
    }

    @Test
    void aNinetyTenSplitLandsWithinThreePercentOverThreeThousandRequests() throws Exception {
        start(Split.weighted().to("stable", 90).to("canary", 10));
        int n = 3000;
        int toCanary = 0;
        for (int i = 0; i < n; i++) {
            if (backend(get("/r/" + i)).equals("canary")) {
                toCanary++;
            }
        }
        assertThat(toCanary / (double) n).isCloseTo(0.10, within(0.03));
        assertThat(stable.requestCount() + canary.requestCount()).isEqualTo(n);
    }

    @Test
    void aForceHeaderNamingASideSendsEverythingThereAndAnUnknownValueIsIgnored() throws Exception {
        start(Split.weighted().to("stable", 95).to("canary", 5).force(ForceBy.header("X-Canary")));
        for (int i = 0; i < 200; i++) {
            assertThat(backend(get("/f/" + i, "X-Canary", "canary"))).as("request %d", i).isEqualTo("canary");
        }
        for (int i = 0; i < 50; i++) {
            assertThat(backend(get("/s/" + i, "X-Canary", "stable"))).isEqualTo("stable");
        }
        int unknownToCanary = 0;
        for (int i = 0; i < 200; i++) {
            if (backend(get("/u/" + i, "X-Canary", "nightly")).equals("canary")) {
                unknownToCanary++;
            }
        }
        assertThat(unknownToCanary).as("an unknown value is split by weight (5%)").isBetween(4, 16);
    }

    @Test
    void aForceCookieNamingASideSendsEverythingThere() throws Exception {
        start(Split.weighted().to("stable", 95).to("canary", 5).force(ForceBy.cookie("canary")));
        for (int i = 0; i < 50; i++) {
            assertThat(backend(get("/c/" + i, "Cookie", "a=b; canary=\"canary\""))).isEqualTo("canary");
        }
    }

    @Test
    void aStickyKeyKeepsEachClientOnOneSideAndTheOverallShareFollowsTheWeights() throws Exception {
        start(Split.weighted().to("stable", 90).to("canary", 10).stickyBy(HashKey.header("X-User")));
        Map<String, String> sideOf = new HashMap<>();
        for (int round = 0; round < 5; round++) {
            for (int k = 0; k < 100; k++) {
                String side = backend(get("/k/" + round, "X-User", "user-" + k));
                String before = sideOf.putIfAbsent("user-" + k, side);
                assertThat(before == null ? side : before).as("user-%d in round %d", k, round).isEqualTo(side);
            }
        }
        int n = 2000;
        int toCanary = 0;
        for (int k = 0; k < n; k++) {
            if (backend(get("/share", "X-User", "client-" + k)).equals("canary")) {
                toCanary++;
            }
        }
        assertThat(toCanary / (double) n).isCloseTo(0.10, within(0.03));
        // requests without the key are split by weight
        int keyless = 0;
        for (int i = 0; i < 100; i++) {
            if (backend(get("/nokey/" + i)).equals("canary")) {
                keyless++;
            }
        }
        assertThat(keyless).isEqualTo(10);
    }

    @Test
    void theDecisionRidesOnTheExchangeAndTheHeaderIsAddedOnlyWhenConfigured() throws Exception {
        ConcurrentLinkedQueue<SplitDecision> seen = new ConcurrentLinkedQueue<>();
        Middleware record = next -> exchange -> {
            next.handleRequest(exchange);
            seen.add(SplitDecision.of(exchange));
        };
        start(Split.weighted().to("stable", 1).to("canary", 1).force(ForceBy.header("X-Canary"))
                .exposeHeader("X-Served-By-Upstream"), record);
        HttpResponse<String> forced = get("/d", "X-Canary", "canary");
        assertThat(forced.headers().firstValue("X-Served-By-Upstream")).hasValue("canary");
        HttpResponse<String> weighted = get("/d");
        assertThat(weighted.headers().firstValue("X-Served-By-Upstream")).hasValue(backend(weighted));
        assertThat(List.copyOf(seen)).containsExactly(
                new SplitDecision("canary", SplitDecision.Reason.FORCED),
                new SplitDecision(backend(weighted), SplitDecision.Reason.WEIGHT));
    }

    @Test
    void noHeaderNamesTheUpstreamUnlessAsked() throws Exception {
        start(Split.weighted().to("stable", 1).to("canary", 1));
        assertThat(get("/x").headers().firstValue("X-Served-By-Upstream")).isEmpty();
    }
}
