package dev.tollgate;

import dev.tollgate.proxy.ProxyOptions;
import dev.tollgate.route.Route;
import dev.tollgate.route.Versioning;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GatewayValidationTest {

    private static Upstream.Builder upstream(String name) {
        return Upstream.builder(name).endpoint("http://" + name + ":8080");
    }

    @Test
    void routeToAnUnknownUpstreamNamesTheKnownOnesSorted() {
        Gateway.Builder b = Gateway.builder()
                .upstream(upstream("users"))
                .upstream(upstream("orders"))
                .route(Route.prefix("/api").to("ordrs"));
        assertThatThrownBy(b::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /api/**: upstream 'ordrs' is not defined (known: orders, users)");
    }

    @Test
    void routeToAnUpstreamWhenNoneIsDefined() {
        assertThatThrownBy(() -> Gateway.builder().route(Route.path("/x").id("x").to("orders")).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route x: upstream 'orders' is not defined (known: none)");
    }

    @Test
    void upstreamDefinedTwice() {
        Gateway.Builder b = Gateway.builder().upstream(upstream("orders")).upstream(Upstream.builder("orders").endpoint("http://other:1"));
        assertThatThrownBy(b::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("upstream 'orders' is defined twice");
    }

    @Test
    void routesSharingATemplateWithoutIdsAreNumberedInDeclarationOrder() throws Exception {
        Gateway g = Gateway.builder().upstream(upstream("orders"))
                .route(Route.path("/x").host("a.example.com").to("orders"))
                .route(Route.path("/x").host("b.example.com").to("orders"))
                .route(Route.path("/x").id("explicit").to("orders"))
                .route(Route.path("/x").to("orders"))
                .build();
        g.close();
        // the numbering is what build() validates and compiles; check it through a route that fails with its id
        assertThatThrownBy(() -> Gateway.builder().upstream(upstream("orders"))
                .route(Route.path("/x").to("orders"))
                .route(Route.path("/x").to("ordrs"))
                .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x#2: upstream 'ordrs' is not defined (known: orders)");
        assertThatThrownBy(() -> Gateway.builder().upstream(upstream("orders"))
                .route(Route.path("/x").to("orders"))
                .route(Route.path("/x").to("orders"))
                .route(Route.path("/x").to("ordrs"))
                .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x#3: upstream 'ordrs' is not defined (known: orders)");
    }

    @Test
    void duplicateExplicitRouteIds() {
        Gateway.Builder sameId = Gateway.builder().upstream(upstream("orders"))
                .route(Route.path("/x").id("r").to("orders"))
                .route(Route.path("/y").id("r").handler(ex -> { }));
        assertThatThrownBy(sameId::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route r: defined twice (expected: distinct ids; set .id(...))");

        // a given id that equals another route's default id is a clash too
        Gateway.Builder givenEqualsDefault = Gateway.builder().upstream(upstream("orders"))
                .route(Route.path("/x").to("orders"))
                .route(Route.path("/y").id("/x").to("orders"));
        assertThatThrownBy(givenEqualsDefault::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x: defined twice (expected: distinct ids; set .id(...))");
    }

    @Test
    void routeIdsAndWithId() {
        Route r = Route.path("/x").to("orders").build();
        assertThat(r.id()).isEqualTo("/x");
        assertThat(r.idGiven()).isFalse();
        Route renamed = r.withId("x2");
        assertThat(renamed.id()).isEqualTo("x2");
        assertThat(renamed.idGiven()).isFalse();
        assertThat(renamed.template()).isEqualTo("/x");
        assertThat(Route.path("/x").id("given").to("orders").build().idGiven()).isTrue();
        assertThatThrownBy(() -> Route.path("/x").id(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.id: ' ' (expected: not blank)");
    }

    @Test
    void routeVersionsMustBeKnownToTheGatewayVersioning() {
        assertThatThrownBy(() -> Gateway.builder().upstream(upstream("orders"))
                .route(Route.path("/x").version("2").to("orders")).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x: version '2' but the gateway has no versioning (expected: Gateway.builder().versioning(...))");
        assertThatThrownBy(() -> Gateway.builder().upstream(upstream("orders"))
                .versioning(Versioning.header("API-Version").known("1", "2"))
                .route(Route.path("/x").version("3").to("orders")).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x: version '3' is not known (known: 1, 2)");
    }

    @Test
    void adminPortEqualToPort() {
        assertThatThrownBy(() -> Gateway.builder().port(9000).adminPort(9000).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("adminPort: 9000 is the same as port (expected: another port)");
    }

    @Test
    void healthAndReadyOnTheSamePath() {
        assertThatThrownBy(() -> Gateway.builder().healthPath("/h").readyPath("/h").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("healthPath and readyPath are both /h (expected: different paths)");
    }

    @Test
    void consistentConfigurationBuilds() {
        try (Gateway gw = Gateway.builder().port(0).adminPort(0)
                .upstream(upstream("orders"))
                .route(Route.prefix("/api").to("orders"))
                .route(Route.path("/ping").handler(ex -> ex.getResponseSender().send("pong")))
                .build()) {
            assertThat(gw.upstreams()).containsOnlyKeys("orders");
            assertThat(gw.upstream("orders").endpoints()).containsExactly(Endpoint.of("http://orders:8080"));
            assertThatThrownBy(() -> gw.upstream("users"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("upstream 'users' is not defined (known: orders)");
            assertThatThrownBy(gw::port).isInstanceOf(IllegalStateException.class).hasMessage("gateway is not started");
        }
    }

    @Test
    void gatewayArguments() {
        assertThatThrownBy(() -> Gateway.builder().port(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("port: -1 (expected: 0..65535)");
        assertThatThrownBy(() -> Gateway.builder().port(65536))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("port: 65536 (expected: 0..65535)");
        assertThatThrownBy(() -> Gateway.builder().adminPort(70000))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("adminPort: 70000 (expected: 0..65535)");
        assertThatThrownBy(() -> Gateway.builder().ioThreads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ioThreads: 0 (expected: 1..1024)");
        assertThatThrownBy(() -> Gateway.builder().workerThreads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("workerThreads: 0 (expected: 1..4096)");
        assertThatThrownBy(() -> Gateway.builder().drainTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("drainTimeout: PT-1S (expected: >= 0)");
        assertThatThrownBy(() -> Gateway.builder().healthPath("health"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("healthPath: 'health' (expected: an absolute path such as /health)");
        assertThatThrownBy(() -> Gateway.builder().readyPath("/ready?x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("readyPath: '/ready?x' (expected: an absolute path such as /health)");
    }

    @Test
    void limitsArguments() {
        assertThatThrownBy(() -> Limits.builder().maxRequestBodyBytes(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("limits.maxRequestBodyBytes: -1 (expected: >= 0)");
        assertThatThrownBy(() -> Limits.builder().maxHeaderBytes(1023))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("limits.maxHeaderBytes: 1023 (expected: 1024..1048576)");
        assertThatThrownBy(() -> Limits.builder().maxHeaderBytes(1048577))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("limits.maxHeaderBytes: 1048577 (expected: 1024..1048576)");
        assertThatThrownBy(() -> Limits.builder().maxHeaderCount(7))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("limits.maxHeaderCount: 7 (expected: 8..10000)");
        assertThatThrownBy(() -> Limits.builder().requestParseTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("limits.requestParseTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> Limits.builder().idleTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("limits.idleTimeout: PT-0.005S (expected: > 0)");
        assertThatThrownBy(() -> Limits.builder().idleTimeout(null))
                .isInstanceOf(NullPointerException.class).hasMessage("limits.idleTimeout");

        Limits l = Limits.builder().maxRequestBodyBytes(0).maxHeaderBytes(1024).maxHeaderCount(8).build();
        assertThat(l.maxRequestBodyBytes()).isZero();
        assertThat(l.maxHeaderBytes()).isEqualTo(1024);
        assertThat(l.maxHeaderCount()).isEqualTo(8);
        assertThat(Limits.defaults().maxRequestBodyBytes()).isEqualTo(10L * 1024 * 1024);
        assertThat(Limits.defaults().requestParseTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void proxyOptionsArguments() {
        assertThatThrownBy(() -> ProxyOptions.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("proxy.connectTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> ProxyOptions.builder().responseTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("proxy.responseTimeout: PT-1S (expected: > 0)");
        assertThatThrownBy(() -> ProxyOptions.builder().idleTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("proxy.idleTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> ProxyOptions.builder().acquireTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("proxy.acquireTimeout: PT0S (expected: > 0)");
        assertThatThrownBy(() -> ProxyOptions.builder().maxConnectionsPerThread(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("proxy.maxConnectionsPerThread: 0 (expected: >= 1)");
        assertThatThrownBy(() -> ProxyOptions.builder().maxWaitingPerThread(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("proxy.maxWaitingPerThread: -1 (expected: >= 0)");
        assertThatThrownBy(() -> ProxyOptions.builder().via("tollgate 1.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("proxy.via: 'tollgate 1.0' (expected: an HTTP token, e.g. tollgate)");
        assertThatThrownBy(() -> ProxyOptions.builder().trustedProxies(List.of("10.0.0.0/8", "proxy.internal")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cidr: 'proxy.internal' is not an IP address or range (expected: e.g. 10.0.0.0/8 or ::1)");
        assertThatThrownBy(() -> ProxyOptions.builder().hostHeader(null))
                .isInstanceOf(NullPointerException.class).hasMessage("policy");

        ProxyOptions p = ProxyOptions.builder().via("").maxWaitingPerThread(0).trustedProxies(List.of("10.0.0.0/8")).build();
        assertThat(p.via()).isEmpty();
        assertThat(p.maxWaitingPerThread()).isZero();
        assertThat(p.trustedProxies().ranges()).hasSize(1);
        assertThat(ProxyOptions.defaults().trustedProxies().isEmpty()).isTrue();
        assertThat(ProxyOptions.defaults().hostHeader()).isEqualTo(ProxyOptions.HostHeader.REWRITE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "orders:8080               | endpoint: 'orders:8080' has no http or https scheme (expected: http://host:port)",
            "//orders:8080             | endpoint: '//orders:8080' has no http or https scheme (expected: http://host:port)",
            "ftp://orders:21           | endpoint: 'ftp://orders:21' has no http or https scheme (expected: http://host:port)",
            "http://                   | endpoint: 'http://' is not a URI (expected: http://host:port)",
            "http:///x                 | endpoint: 'http:///x' has no host (expected: http://host:port)",
            "http://orders:8080/api    | endpoint: 'http://orders:8080/api' has a path (expected: http://host:port; use a route rewrite for paths)",
            "http://orders:8080?a=1    | endpoint: 'http://orders:8080?a=1' has a query, fragment or user info (expected: http://host:port)",
            "http://orders:8080#f      | endpoint: 'http://orders:8080#f' has a query, fragment or user info (expected: http://host:port)",
            "http://u:p@orders:8080    | endpoint: 'http://u:p@orders:8080' has a query, fragment or user info (expected: http://host:port)",
            "http://orders:0           | endpoint: 'http://orders:0' has port 0 (expected: 1..65535)",
            "http://orders:65536       | endpoint: 'http://orders:65536' has port 65536 (expected: 1..65535)",
            "http://or ders:80         | endpoint: 'http://or ders:80' is not a URI (expected: http://host:port)",
    })
    void badEndpointUris(String uri, String message) {
        assertThatThrownBy(() -> Endpoint.of(uri))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void endpointWeight() {
        assertThatThrownBy(() -> Endpoint.of("http://orders:8080", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("endpoint http://orders:8080: weight 0 (expected: 1..1000)");
        assertThatThrownBy(() -> Endpoint.of("http://orders:8080", 1001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("endpoint http://orders:8080: weight 1001 (expected: 1..1000)");
        assertThat(Endpoint.of("http://orders:8080", 1000).weight()).isEqualTo(1000);
    }

    @Test
    void endpointIsNormalised() {
        Endpoint e = Endpoint.of(" HTTP://orders/ ");
        assertThat(e.uri()).isEqualTo(URI.create("http://orders:80"));
        assertThat(e.authority()).isEqualTo("orders");
        assertThat(e.tls()).isFalse();
        Endpoint tls = Endpoint.of("https://orders:8443", 3);
        assertThat(tls.port()).isEqualTo(8443);
        assertThat(tls.authority()).isEqualTo("orders:8443");
        assertThat(tls.toString()).isEqualTo("https://orders:8443;weight=3");
        assertThat(Endpoint.of("https://orders").port()).isEqualTo(443);
        assertThat(Endpoint.of("http://[::1]:9000").uri()).isEqualTo(URI.create("http://[::1]:9000"));
        assertThat(Endpoint.of("http://orders")).isEqualTo(Endpoint.of("http://orders:80", 1));
        assertThat(Endpoint.of("http://orders")).isNotEqualTo(Endpoint.of("http://orders:80", 2));
    }

    @Test
    void upstreamValidation() {
        assertThatThrownBy(() -> Upstream.builder("orders").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("upstream 'orders': no endpoints (expected: at least one)");
        assertThatThrownBy(() -> Upstream.builder("orders").endpoint("http://a").endpoint("http://a:80", 2).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("upstream 'orders': endpoint http://a:80 is listed twice");
        assertThatThrownBy(() -> Upstream.builder("or ders"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("upstream.name: 'or ders' (expected: letters, digits, '.', '_' or '-')");
        assertThatThrownBy(() -> Upstream.builder(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("upstream.name: '' (expected: letters, digits, '.', '_' or '-')");
        assertThatThrownBy(() -> Gateway.builder().upstream(Upstream.builder("orders")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("upstream 'orders': no endpoints (expected: at least one)");

        Upstream u = Upstream.builder("orders").endpoint("http://a", 3).endpoint(URI.create("http://b:81")).required(false).build();
        assertThat(u.endpoints()).containsExactly(Endpoint.of("http://a:80", 3), Endpoint.of("http://b:81"));
        assertThat(u.required()).isFalse();
    }
}
