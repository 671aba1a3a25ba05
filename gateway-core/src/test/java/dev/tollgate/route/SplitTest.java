package dev.tollgate.route;

import dev.tollgate.Gateway;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Validation of splits and mirrors, and their checks in the gateway's build(). */
class SplitTest {

    @Test
    void weightsAreAtLeastOne() {
        assertThatThrownBy(() -> Split.weighted().to("a", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("split.weight: 0 for 'a' (expected: 1..1000000)");
    }

    @Test
    void anUpstreamIsOneSideOnly() {
        assertThatThrownBy(() -> Split.weighted().to("a", 1).to("a", 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("split.to: 'a' is already a side (expected: each upstream once)");
    }

    @Test
    void aSplitHasAtLeastTwoSides() {
        assertThatThrownBy(() -> Split.weighted().to("a", 1).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("split.sides: 1 (expected: at least 2; add them with .to(upstream, weight))");
    }

    @Test
    void forceAndExposeNamesAreTokens() {
        assertThatThrownBy(() -> ForceBy.header("X Canary"))
                .hasMessage("forceBy.header: 'X Canary' (expected: a header name, e.g. X-Canary)");
        assertThatThrownBy(() -> ForceBy.cookie("a;b"))
                .hasMessage("forceBy.cookie: 'a;b' (expected: an RFC 6265 token, e.g. canary)");
        assertThatThrownBy(() -> Split.weighted().exposeHeader("X:Y"))
                .hasMessage("split.exposeHeader: 'X:Y' (expected: a header name, e.g. X-Served-By-Upstream)");
    }

    @Test
    void aRouteHasOneDestination() {
        assertThatThrownBy(() -> Route.path("/x").to("a").split(Split.weighted().to("a", 1).to("b", 1)).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x: both an upstream and a split (expected: one of them)");
        assertThatThrownBy(() -> Route.path("/x").handler(ex -> { }).split(Split.weighted().to("a", 1).to("b", 1)).build())
                .hasMessage("route /x: both a split and a handler (expected: one of them)");
    }

    @Test
    void mirrorSettingsAreChecked() {
        assertThatThrownBy(() -> Mirror.to("s").percent(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("mirror.percent: 0 (expected: 1..100)");
        assertThatThrownBy(() -> Mirror.to("s").percent(101)).hasMessage("mirror.percent: 101 (expected: 1..100)");
        assertThatThrownBy(() -> Mirror.to("s").maxConcurrent(0)).hasMessage("mirror.maxConcurrent: 0 (expected: >= 1)");
        Mirror m = Mirror.to("s").build();
        assertThat(m.percent()).isEqualTo(100);
        assertThat(m.maxConcurrent()).isEqualTo(32);
    }

    @Test
    void theGatewayChecksThatSplitAndMirrorUpstreamsExist() {
        assertThatThrownBy(() -> Gateway.builder().port(0)
                .upstream(Upstream.builder("stable").endpoint("http://127.0.0.1:1"))
                .upstream(Upstream.builder("canary").endpoint("http://127.0.0.1:1"))
                .route(Route.prefix("/api").id("api").split(Split.weighted().to("stable", 95).to("canry", 5)))
                .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route api: split upstream 'canry' is not defined (known: canary, stable)");
        assertThatThrownBy(() -> Gateway.builder().port(0)
                .upstream(Upstream.builder("stable").endpoint("http://127.0.0.1:1"))
                .route(Route.prefix("/api").id("api").to("stable").mirror(Mirror.to("shadow")))
                .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route api: mirror upstream 'shadow' is not defined (known: stable)");
    }
}
