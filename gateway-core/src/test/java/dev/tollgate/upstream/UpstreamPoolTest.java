package dev.tollgate.upstream;

import dev.tollgate.upstream.internal.EndpointState;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UpstreamPoolTest {

    private final List<EndpointState> removed = new ArrayList<>();

    private UpstreamPool pool(Endpoint... endpoints) {
        Upstream.Builder b = Upstream.builder("orders");
        for (Endpoint e : endpoints) {
            b.endpoint(e);
        }
        return new UpstreamPool(b.build(), removed::add);
    }

    private static String host(EndpointState s) {
        return s == null ? null : s.endpoint().host();
    }

    private static List<String> picks(UpstreamPool pool, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(host(pool.pick(new io.undertow.server.HttpServerExchange(null))));
        }
        return out;
    }

    @Test
    void smoothWeightedRoundRobinFollowsNginxOrderFor511() {
        UpstreamPool p = pool(Endpoint.of("http://a", 5), Endpoint.of("http://b", 1), Endpoint.of("http://c", 1));
        // the order documented with nginx's smooth weighted round robin (ngx_http_upstream_round_robin.c)
        List<String> expected = List.of("a", "a", "b", "a", "c", "a", "a");
        assertThat(picks(p, 7)).containsExactlyElementsOf(expected);
        // and the cycle repeats exactly
        assertThat(picks(p, 14)).containsExactlyElementsOf(concat(expected, expected));
    }

    @Test
    void eachWindowOfOneCycleHasTheExactShareAndTheHeavyEndpointIsSpreadOut() {
        UpstreamPool p = pool(Endpoint.of("http://a", 5), Endpoint.of("http://b", 1), Endpoint.of("http://c", 1));
        List<String> seq = picks(p, 70);
        for (int start = 0; start + 7 <= seq.size(); start++) {
            Map<String, Long> counts = seq.subList(start, start + 7).stream()
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(counts).as("window at %d", start).containsExactlyInAnyOrderEntriesOf(Map.of("a", 5L, "b", 1L, "c", 1L));
        }
        // plain WRR would send a,a,a,a,a in a row; smooth WRR never more than the cycle's layout allows (a a | b | a | c | a a a a ...)
        assertThat(longestRun(seq, "a")).isEqualTo(4);
        assertThat(longestRun(seq, "b")).isEqualTo(1);
        assertThat(longestRun(seq, "c")).isEqualTo(1);
    }

    @Test
    void equalWeightsAlternate() {
        UpstreamPool p = pool(Endpoint.of("http://a"), Endpoint.of("http://b"));
        assertThat(picks(p, 6)).containsExactly("a", "b", "a", "b", "a", "b");
        UpstreamPool three = pool(Endpoint.of("http://a", 2), Endpoint.of("http://b", 2), Endpoint.of("http://c", 2));
        assertThat(picks(three, 6)).containsExactly("a", "b", "c", "a", "b", "c");
    }

    @Test
    void singleEndpointIsAlwaysPicked() {
        UpstreamPool p = pool(Endpoint.of("http://a", 7));
        assertThat(picks(p, 3)).containsExactly("a", "a", "a");
    }

    @Test
    void replaceEndpointsKeepsStateOfKeptUrisAndDrainsRemovedOnes() {
        UpstreamPool p = pool(Endpoint.of("http://a"), Endpoint.of("http://b"), Endpoint.of("http://c"));
        EndpointState[] before = p.states();
        EndpointState a = before[0];
        EndpointState b = before[1];
        EndpointState c = before[2];
        a.inFlight().incrementAndGet();

        p.replaceEndpoints(List.of(Endpoint.of("http://a:80", 3), Endpoint.of("http://d"), Endpoint.of("http://c")));

        EndpointState[] after = p.states();
        assertThat(after[0]).isSameAs(a);
        assertThat(after[0].endpoint().weight()).isEqualTo(3);
        assertThat(after[0].inFlight().get()).isEqualTo(1);
        assertThat(after[2]).isSameAs(c);
        assertThat(after[1]).isNotIn(a, b, c);
        assertThat(host(after[1])).isEqualTo("d");
        assertThat(removed).containsExactly(b);
        assertThat(b.removed()).isTrue();
        assertThat(a.removed()).isFalse();
        assertThat(p.endpoints()).containsExactly(Endpoint.of("http://a", 3), Endpoint.of("http://d"), Endpoint.of("http://c"));
        // the new weights apply at once
        assertThat(picks(p, 5)).containsExactly("a", "d", "a", "c", "a");
    }

    @Test
    void replaceEndpointsRejectsDuplicatesAndChangesNothing() {
        UpstreamPool p = pool(Endpoint.of("http://a"), Endpoint.of("http://b"));
        EndpointState[] before = p.states().clone();
        assertThatThrownBy(() -> p.replaceEndpoints(List.of(Endpoint.of("http://c"), Endpoint.of("http://c:80", 2))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("upstream 'orders': endpoint http://c:80 is listed twice");
        assertThat(p.states()).containsExactly(before);
        assertThat(removed).isEmpty();
    }

    @Test
    void emptySetPicksNothing() {
        UpstreamPool p = pool(Endpoint.of("http://a"), Endpoint.of("http://b"));
        EndpointState[] before = p.states();
        p.replaceEndpoints(List.of());
        assertThat(p.pick(new io.undertow.server.HttpServerExchange(null))).isNull();
        assertThat(p.endpoints()).isEmpty();
        assertThat(removed).containsExactlyInAnyOrder(before);
        p.addEndpoint(Endpoint.of("http://z"));
        assertThat(host(p.pick(new io.undertow.server.HttpServerExchange(null)))).isEqualTo("z");
    }

    @Test
    void addEndpointAddsOrUpdatesTheWeight() {
        UpstreamPool p = pool(Endpoint.of("http://a"));
        EndpointState a = p.states()[0];
        p.addEndpoint(Endpoint.of("http://b"));
        assertThat(p.endpoints()).containsExactly(Endpoint.of("http://a"), Endpoint.of("http://b"));
        assertThat(picks(p, 4)).containsExactly("a", "b", "a", "b");

        p.addEndpoint(Endpoint.of("http://a:80", 2));
        assertThat(p.endpoints()).containsExactlyInAnyOrder(Endpoint.of("http://a", 2), Endpoint.of("http://b"));
        assertThat(p.states()).contains(a);
        assertThat(a.endpoint().weight()).isEqualTo(2);
        assertThat(removed).isEmpty();
    }

    @Test
    void removeEndpointByUriInAnySpelling() {
        UpstreamPool p = pool(Endpoint.of("http://a"), Endpoint.of("http://b:8080"));
        EndpointState a = p.states()[0];
        assertThat(p.removeEndpoint(URI.create("http://a"))).isTrue();
        assertThat(removed).containsExactly(a);
        assertThat(a.removed()).isTrue();
        assertThat(p.endpoints()).containsExactly(Endpoint.of("http://b:8080"));
        assertThat(p.removeEndpoint(URI.create("http://a:80"))).isFalse();
        assertThat(p.removeEndpoint(URI.create("http://b:8080/"))).isTrue();
        assertThat(p.pick(new io.undertow.server.HttpServerExchange(null))).isNull();
        assertThat(removed).hasSize(2);
    }

    @Test
    void specFieldsAreCarriedOver() {
        UpstreamPool p = new UpstreamPool(Upstream.builder("users").endpoint("http://u").required(false).build(), s -> { });
        assertThat(p.name()).isEqualTo("users");
        assertThat(p.required()).isFalse();
        assertThat(p.toString()).isEqualTo("UpstreamPool[users [http://u:80]]");
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
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
}
