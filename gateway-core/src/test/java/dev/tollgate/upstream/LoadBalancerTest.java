package dev.tollgate.upstream;

import dev.tollgate.upstream.internal.EndpointState;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LoadBalancerTest {

    private static final HttpString KEY = HttpString.tryFromString("X-Key");

    private static UpstreamPool pool(LoadBalancer lb, Endpoint... endpoints) {
        Upstream.Builder b = Upstream.builder("orders").loadBalancer(lb);
        for (Endpoint e : endpoints) {
            b.endpoint(e);
        }
        return new UpstreamPool(b.build(), s -> { });
    }

    private static HttpServerExchange exchange() {
        return new HttpServerExchange(null);
    }

    private static HttpServerExchange keyed(String key) {
        HttpServerExchange ex = exchange();
        ex.getRequestHeaders().put(KEY, key);
        return ex;
    }

    private static String host(EndpointState s) {
        return s == null ? null : s.endpoint().host();
    }

    private static Map<String, Long> counts(List<String> picks) {
        return picks.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    private static List<String> picks(UpstreamPool pool, int n, Function<Integer, HttpServerExchange> request) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(host(pool.pick(request.apply(i))));
        }
        return out;
    }

    // --- weighted splits ------------------------------------------------------------------------

    private static void assertThreeToOne(LoadBalancer lb, Function<Integer, HttpServerExchange> request) {
        UpstreamPool p = pool(lb, Endpoint.of("http://a", 3), Endpoint.of("http://b", 1));
        Map<String, Long> counts = counts(picks(p, 6000, request));
        assertThat(counts.getOrDefault("a", 0L) / 6000.0).as("%s: share of the weight-3 endpoint", lb).isCloseTo(0.75, within(0.05));
        assertThat(counts.getOrDefault("b", 0L) / 6000.0).as("%s: share of the weight-1 endpoint", lb).isCloseTo(0.25, within(0.05));
    }

    @Test
    void weightedBalancersSplitThreeToOneWithinFivePercent() {
        assertThreeToOne(LoadBalancer.weightedRoundRobin(), i -> exchange());
        assertThreeToOne(LoadBalancer.random(), i -> exchange());
        assertThreeToOne(LoadBalancer.leastRequest(), i -> exchange());
        assertThreeToOne(LoadBalancer.consistentHash(HashKey.header("X-Key")), i -> keyed("user-" + i));
        assertThreeToOne(LoadBalancer.sticky("TG", LoadBalancer.random()), i -> exchange());
    }

    @Test
    void roundRobinIgnoresWeights() {
        UpstreamPool p = pool(LoadBalancer.roundRobin(), Endpoint.of("http://a", 3), Endpoint.of("http://b", 1), Endpoint.of("http://c", 2));
        assertThat(picks(p, 6, i -> exchange())).containsExactly("a", "b", "c", "a", "b", "c");
    }

    @Test
    void randomWithEqualWeightsIsEven() {
        UpstreamPool p = pool(LoadBalancer.random(), Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        Map<String, Long> counts = counts(picks(p, 6000, i -> exchange()));
        for (String h : List.of("a", "b", "c")) {
            assertThat(counts.get(h) / 6000.0).as(h).isCloseTo(1 / 3.0, within(0.05));
        }
    }

    @Test
    void smoothWeightedRoundRobinNeverRunsMoreThanOneBeyondItsShare() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            int n = 2 + random.nextInt(5);
            Endpoint[] endpoints = new Endpoint[n];
            int total = 0;
            for (int i = 0; i < n; i++) {
                endpoints[i] = Endpoint.of("http://e" + i, 1 + random.nextInt(round % 2 == 0 ? 10 : 1000));
                total += endpoints[i].weight();
            }
            UpstreamPool p = pool(LoadBalancer.weightedRoundRobin(), endpoints);
            List<String> seq = picks(p, 2 * total, i -> exchange());
            Map<String, Long> perCycle = counts(seq.subList(0, total));
            for (Endpoint e : endpoints) {
                int w = e.weight();
                // each cycle gives exactly the weight
                assertThat(perCycle.getOrDefault(e.host(), 0L)).as("round %d %s", round, e).isEqualTo((long) w);
                // its share is w/(total-w) turns per turn of the others; a run may exceed that by one, no more
                int share = (w + (total - w) - 1) / (total - w);
                assertThat(longestRun(seq, e.host())).as("round %d %s of %s", round, e, List.of(endpoints)).isLessThanOrEqualTo(share + 1);
            }
        }
    }

    @Test
    void smoothWeightedRoundRobinBeyondThePrecomputedCycleStillFollowsNginx() {
        // 100 endpoints of weight 999 and one of 1000: a cycle of 100,900 picks is run live, not precomputed
        List<Endpoint> list = new ArrayList<>();
        list.add(Endpoint.of("http://heavy", 1000));
        for (int i = 0; i < 100; i++) {
            list.add(Endpoint.of("http://e" + i, 999));
        }
        UpstreamPool p = pool(LoadBalancer.weightedRoundRobin(), list.toArray(Endpoint[]::new));
        List<String> seq = picks(p, 101 * 3, i -> exchange());
        assertThat(longestRun(seq, "heavy")).isEqualTo(1);
        assertThat(counts(seq.subList(0, 101)).get("heavy")).isEqualTo(1);
    }

    private static int longestRun(List<String> seq, String value) {
        int best = 0;
        int run = 0;
        for (String s : seq) {
            run = s.equals(value) ? run + 1 : 0;
            best = Math.max(best, run);
        }
        return best;
    }

    // --- least request --------------------------------------------------------------------------

    @Test
    void leastRequestAvoidsTheLoadedEndpoint() {
        UpstreamPool p = pool(LoadBalancer.leastRequest(), Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        p.states()[0].inFlight().set(10);
        Map<String, Long> counts = counts(picks(p, 3000, i -> exchange()));
        // two distinct choices: the loaded endpoint never wins against an idle one
        assertThat(counts).doesNotContainKey("a");
        assertThat(counts.get("b") / 3000.0).isCloseTo(0.5, within(0.05));
        assertThat(p.candidates().get(0).inFlight()).isEqualTo(10);
    }

    @Test
    void leastRequestComparesInFlightPerUnitOfWeight() {
        UpstreamPool p = pool(LoadBalancer.leastRequest(), Endpoint.of("http://a", 3), Endpoint.of("http://b", 1));
        p.states()[0].inFlight().set(3); // 1 per unit
        p.states()[1].inFlight().set(2); // 2 per unit
        assertThat(counts(picks(p, 500, i -> exchange()))).containsOnlyKeys("a");
        p.states()[0].inFlight().set(4); // 1.33 per unit
        p.states()[1].inFlight().set(1); // 1 per unit
        assertThat(counts(picks(p, 500, i -> exchange()))).containsOnlyKeys("b");
    }

    // --- consistent hashing ---------------------------------------------------------------------

    private static Map<String, String> placement(UpstreamPool p, int keys) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < keys; i++) {
            String key = "key-" + i;
            out.put(key, host(p.pick(keyed(key))));
        }
        return out;
    }

    @Test
    void consistentHashSendsTheSameKeyToTheSameEndpointWhateverTheOrder() {
        LoadBalancer lb = LoadBalancer.consistentHash(HashKey.header("X-Key"));
        UpstreamPool p = pool(lb, Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        Map<String, String> first = placement(p, 1000);
        assertThat(placement(p, 1000)).isEqualTo(first);
        UpstreamPool reordered = pool(lb, Endpoint.of("http://c"), Endpoint.of("http://a"), Endpoint.of("http://b"));
        assertThat(placement(reordered, 1000)).isEqualTo(first);
        assertThat(counts(new ArrayList<>(first.values()))).containsOnlyKeys("a", "b", "c");
    }

    @Test
    void consistentHashRemapsAboutAQuarterWhenAFourthEndpointJoinsAndOnlyToIt() {
        UpstreamPool p = pool(LoadBalancer.consistentHash(HashKey.header("X-Key")),
                Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        Map<String, String> before = placement(p, 10_000);
        p.addEndpoint(Endpoint.of("http://d"));
        Map<String, String> after = placement(p, 10_000);
        long moved = before.keySet().stream().filter(k -> !before.get(k).equals(after.get(k))).count();
        assertThat(moved / 10_000.0).isBetween(0.15, 0.35);
        assertThat(before.keySet().stream().filter(k -> !before.get(k).equals(after.get(k))).map(after::get))
                .containsOnly("d");
    }

    @Test
    void consistentHashRemapsOnlyTheKeysOfARemovedEndpoint() {
        UpstreamPool p = pool(LoadBalancer.consistentHash(HashKey.header("X-Key")),
                Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"), Endpoint.of("http://d"));
        Map<String, String> before = placement(p, 10_000);
        p.removeEndpoint(java.net.URI.create("http://b"));
        Map<String, String> after = placement(p, 10_000);
        for (String key : before.keySet()) {
            if (!before.get(key).equals("b")) {
                assertThat(after.get(key)).as(key).isEqualTo(before.get(key));
            } else {
                assertThat(after.get(key)).as(key).isIn("a", "c", "d");
            }
        }
    }

    @Test
    void consistentHashWithoutTheKeyFallsBackToRoundRobin() {
        UpstreamPool p = pool(LoadBalancer.consistentHash(HashKey.header("X-Key")),
                Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        assertThat(picks(p, 6, i -> exchange())).containsExactly("a", "b", "c", "a", "b", "c");
    }

    @Test
    void cookieAndPathKeys() {
        UpstreamPool byCookie = pool(LoadBalancer.consistentHash(HashKey.cookie("user")),
                Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        for (int i = 0; i < 50; i++) {
            HttpServerExchange plain = exchange();
            plain.getRequestHeaders().put(Headers.COOKIE, "theme=dark; user=u" + i + "; lang=en");
            HttpServerExchange quoted = exchange();
            quoted.getRequestHeaders().add(Headers.COOKIE, "theme=dark");
            quoted.getRequestHeaders().add(Headers.COOKIE, "user=\"u" + i + "\"");
            assertThat(host(byCookie.pick(plain))).isEqualTo(host(byCookie.pick(quoted)));
        }
        HttpServerExchange otherCookie = exchange();
        otherCookie.getRequestHeaders().put(Headers.COOKIE, "xuser=1; user_=2");
        assertThat(picks(byCookie, 3, i -> otherCookie)).containsExactlyInAnyOrder("a", "b", "c");

        UpstreamPool byPath = pool(LoadBalancer.consistentHash(HashKey.path()),
                Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        Map<String, Long> spread = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            HttpServerExchange ex = exchange();
            ex.setRequestPath("/items/" + i);
            String first = host(byPath.pick(ex));
            assertThat(host(byPath.pick(ex))).isEqualTo(first);
            spread.merge(first, 1L, Long::sum);
        }
        assertThat(spread).containsOnlyKeys("a", "b", "c");
    }

    @Test
    void consistentHashHonoursWeightsPerKey() {
        UpstreamPool p = pool(LoadBalancer.consistentHash(HashKey.header("X-Key")), Endpoint.of("http://a", 1), Endpoint.of("http://b", 4));
        Map<String, Long> counts = counts(new ArrayList<>(placement(p, 10_000).values()));
        assertThat(counts.get("b") / 10_000.0).isCloseTo(0.8, within(0.05));
    }

    // --- sticky ---------------------------------------------------------------------------------

    @Test
    void stickyCookieNamingACurrentEndpointPinsAndItsValueHidesTheAddress() {
        UpstreamPool p = pool(LoadBalancer.sticky("TG_STICKY", LoadBalancer.roundRobin()),
                Endpoint.of("http://10.0.0.1:8080"), Endpoint.of("http://10.0.0.2:8080"));
        String id = Balancers.stickyId(Endpoint.of("http://10.0.0.2:8080"));
        assertThat(id).matches("[0-9a-f]{12}").doesNotContain("10.0.0.2");
        for (int i = 0; i < 10; i++) {
            HttpServerExchange ex = exchange();
            ex.getRequestHeaders().put(Headers.COOKIE, "a=b; TG_STICKY=" + id);
            assertThat(host(p.pick(ex))).isEqualTo("10.0.0.2");
            assertThat(ex.getAttachment(Balancers.STICKY_SET_COOKIE)).as("a valid cookie is not re-issued").isNull();
        }
        HttpServerExchange stale = exchange();
        stale.getRequestHeaders().put(Headers.COOKIE, "TG_STICKY=000000000000");
        EndpointState chosen = p.pick(stale);
        assertThat(stale.getAttachment(Balancers.STICKY_SET_COOKIE))
                .isEqualTo("TG_STICKY=" + Balancers.stickyId(chosen.endpoint()) + "; Path=/; HttpOnly; SameSite=Lax");

        HttpServerExchange overTls = exchange();
        overTls.setRequestScheme("https");
        p.pick(overTls);
        assertThat(overTls.getAttachment(Balancers.STICKY_SET_COOKIE)).endsWith("; SameSite=Lax; Secure");
    }

    // --- the SPI and its validation -------------------------------------------------------------

    @Test
    void aCustomBalancerSeesTheCandidatesAndMayRefuseASet() {
        LoadBalancer lastOne = candidates -> {
            if (candidates.size() > 2) {
                throw new IllegalArgumentException("at most two endpoints");
            }
            int last = candidates.size() - 1;
            return exchange -> last;
        };
        UpstreamPool p = pool(lastOne, Endpoint.of("http://a"), Endpoint.of("http://b"));
        assertThat(host(p.pick(exchange()))).isEqualTo("b");
        assertThatThrownBy(() -> p.addEndpoint(Endpoint.of("http://c"))).hasMessage("at most two endpoints");
        assertThatThrownBy(() -> p.replaceEndpoints(List.of(Endpoint.of("http://a", 5), Endpoint.of("http://b"), Endpoint.of("http://c"))))
                .hasMessage("at most two endpoints");
        assertThat(p.endpoints()).containsExactly(Endpoint.of("http://a"), Endpoint.of("http://b"));
        assertThat(p.candidates()).extracting(c -> c.endpoint().host()).containsExactly("a", "b");
        assertThat(host(p.pick(exchange()))).isEqualTo("b");

        UpstreamPool outOfRange = pool(candidates -> exchange -> 7, Endpoint.of("http://a"), Endpoint.of("http://b"));
        assertThat(outOfRange.pick(exchange())).isNull();
    }

    @Test
    void badNamesFailFast() {
        assertThatThrownBy(() -> LoadBalancer.sticky("my cookie", LoadBalancer.roundRobin()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sticky.cookieName: 'my cookie' (expected: an RFC 6265 token, e.g. TG_STICKY)");
        assertThatThrownBy(() -> HashKey.header(""))
                .hasMessage("hashKey.header: '' (expected: a header name, e.g. X-User-Id)");
        assertThatThrownBy(() -> HashKey.cookie("a=b"))
                .hasMessage("hashKey.cookie: 'a=b' (expected: an RFC 6265 token, e.g. session)");
        assertThatThrownBy(() -> LoadBalancer.consistentHash(null)).hasMessage("key");
        assertThatThrownBy(() -> Upstream.builder("x").loadBalancer(null)).hasMessage("loadBalancer");
        assertThat(Upstream.builder("x").endpoint("http://a").build().loadBalancer()).isSameAs(LoadBalancer.weightedRoundRobin());
        assertThat(LoadBalancer.consistentHash(HashKey.cookie("s")))
                .hasToString("LoadBalancer.consistentHash(HashKey[cookie s])");
    }
}
