package dev.tollgate.route.internal;

import dev.tollgate.route.Route;
import dev.tollgate.route.Versioning;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Header regex, cookie and host-pattern predicates, priority, and API version resolution. */
class RouterRulesTest {

    private static Route.Builder path(String template) {
        return Route.path(template).handler(ex -> { });
    }

    private static Router router(Versioning versioning, Route.Builder... routes) {
        List<Route> list = new ArrayList<>();
        for (Route.Builder b : routes) {
            list.add(b.build());
        }
        return new Router(list, versioning);
    }

    private static Router router(Route.Builder... routes) {
        return router(null, routes);
    }

    private static HttpServerExchange get(String... headers) {
        HttpServerExchange ex = new HttpServerExchange(null);
        ex.setRequestMethod(Methods.GET);
        for (int i = 0; i < headers.length; i += 2) {
            ex.getRequestHeaders().add(new HttpString(headers[i]), headers[i + 1]);
        }
        return ex;
    }

    private static Router.Matched matched(Router r, HttpServerExchange ex, String path) {
        Router.Result result = r.match(ex, path);
        assertThat(result).as("result for %s", path).isInstanceOf(Router.Matched.class);
        return (Router.Matched) result;
    }

    private static String id(Router r, String path, String... headers) {
        Router.Result result = r.match(get(headers), path);
        return result instanceof Router.Matched m ? m.route().id() : result.getClass().getSimpleName();
    }

    // --- predicates

    @Test
    void headerMatchesIsAFullMatchOnAnyValue() {
        Router r = router(path("/").id("eu").headerMatches("X-Region", "eu-[a-z]+-\\d"), path("/").id("other"));
        assertThat(id(r, "/", "X-Region", "eu-west-1")).isEqualTo("eu");
        assertThat(id(r, "/", "x-region", "EU-west-1")).isEqualTo("other"); // the regex is case-sensitive
        assertThat(id(r, "/", "X-Region", "eu-west-1x")).isEqualTo("other"); // full match, not find
        assertThat(id(r, "/", "X-Region", "us-east-1", "X-Region", "eu-north-2")).isEqualTo("eu");
        assertThat(id(r, "/")).isEqualTo("other");
    }

    @Test
    void invalidRegexFailsAtTheBuilderCallNamingRouteAndRegex() {
        assertThatThrownBy(() -> Route.path("/x").headerMatches("X-Region", "eu-[a-"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route /x: headerMatches(X-Region) regex 'eu-[a-' is invalid: Illegal character range"
                        + " (expected: a java.util.regex pattern)");
        assertThatThrownBy(() -> Route.path("/x").id("hosts").hostMatches("(api"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route hosts: hostMatches regex '(api' is invalid: Unclosed group (expected: a java.util.regex pattern)");
    }

    @Test
    void cookieAndCookiePresentReadTheCookieHeaderInPlace() {
        Router r = router(path("/").id("beta").cookie("channel", "beta"), path("/").id("session").cookiePresent("sid"),
                path("/").id("other"));
        assertThat(id(r, "/", "Cookie", "channel=beta")).isEqualTo("beta");
        assertThat(id(r, "/", "Cookie", "a=1; channel=beta; b=2")).isEqualTo("beta");
        assertThat(id(r, "/", "Cookie", "a=1;channel = \"beta\" ")).isEqualTo("beta");
        assertThat(id(r, "/", "Cookie", "a=1", "Cookie", "channel=beta")).isEqualTo("beta"); // split header (HTTP/2)
        assertThat(id(r, "/", "Cookie", "channel=betamax")).isEqualTo("other");
        assertThat(id(r, "/", "Cookie", "xchannel=beta")).isEqualTo("other");
        assertThat(id(r, "/", "Cookie", "other=channel=beta")).isEqualTo("other");
        assertThat(id(r, "/", "Cookie", "sid=")).isEqualTo("session");
        assertThat(id(r, "/", "Cookie", "x=1; sid=abc")).isEqualTo("session");
        assertThat(id(r, "/", "Cookie", "sid")).isEqualTo("other"); // no '=': not a cookie pair
        assertThat(id(r, "/", "X-Cookie", "sid=1")).isEqualTo("other");
        assertThat(id(r, "/")).isEqualTo("other");
    }

    @Test
    void hostMatchesAndAWildcardLabelInTheMiddle() {
        Router r = router(path("/").id("regex").hostMatches("(eu|us)\\.shop\\.example\\.com"),
                path("/").id("middle").host("api.*.example.com"), path("/").id("other"));
        assertThat(id(r, "/", "Host", "EU.shop.example.com:8443")).isEqualTo("regex");
        assertThat(id(r, "/", "Host", "asia.shop.example.com")).isEqualTo("other");
        assertThat(id(r, "/", "Host", "api.eu.example.com")).isEqualTo("middle");
        assertThat(id(r, "/", "Host", "API.us.Example.com")).isEqualTo("middle");
        assertThat(id(r, "/", "Host", "api.example.com")).isEqualTo("other"); // '*' is exactly one label
        assertThat(id(r, "/", "Host", "api.a.b.example.com")).isEqualTo("other");
        assertThat(id(r, "/", "Host", "apixeuxexample.com")).isEqualTo("other"); // dots are literal

        assertThatThrownBy(() -> Route.path("/x").host("api.e*.example.com"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route /x: host 'api.e*.example.com' (expected: a name, *.name, or '*' as a whole label)");
    }

    // --- priority

    @Test
    void higherPriorityWinsBeforeSpecificityThenSpecificityThenDeclarationOrder() {
        Router r = router(path("/users/me").id("literal"), path("/users/{id}").id("var"),
                path("/users/**").id("tail-high").priority(10), path("/users/**").id("tail-high-2").priority(10));
        assertThat(id(r, "/users/me")).isEqualTo("tail-high");

        Router mixed = router(path("/users/**").id("tail-low").priority(-1), path("/users/{id}").id("var"),
                path("/users/me").id("literal").priority(-1));
        assertThat(id(mixed, "/users/me")).isEqualTo("var"); // priority 0 beats -1 even if less specific
        assertThat(id(mixed, "/users/1/orders")).isEqualTo("tail-low");

        Router equal = router(path("/a/**").id("first").priority(5), path("/a/{x}").id("var").priority(5),
                path("/a/{x}").id("var-2").priority(5));
        assertThat(id(equal, "/a/b")).isEqualTo("var"); // equal priority: specificity, then declaration order
    }

    @Test
    void aHigherPriorityRouteWhosePredicatesFailHandsOverToTheNext() {
        Router r = router(path("/api/**").id("canary").priority(100).header("X-Canary", "1"), path("/api/orders").id("orders"));
        assertThat(id(r, "/api/orders", "X-Canary", "1")).isEqualTo("canary");
        assertThat(id(r, "/api/orders")).isEqualTo("orders");
    }

    @Test
    void priorityIsAlsoUsedForTheAllowedMethodsOf405() {
        Router r = router(path("/x").id("post").methods("POST").priority(1), path("/x").id("get").methods("GET"));
        assertThat(id(r, "/x")).isEqualTo("get");
        HttpServerExchange put = get();
        put.setRequestMethod(Methods.PUT);
        assertThat(r.match(put, "/x")).isEqualTo(new Router.MethodNotAllowed(java.util.Set.of("POST", "GET")));
    }

    // --- versioning

    private static Router versioned(Versioning.Builder v) {
        return router(v.build(), path("/orders").id("v1").version("1"), path("/orders").id("v2").version("2"),
                path("/orders/**").id("any"));
    }

    @Test
    void pathVersionIsTheFirstSegmentAndIsStrippedForRoutingAndForwarding() {
        Router r = versioned(Versioning.path().known("1", "2"));
        Router.Matched m = matched(r, get(), "/v2/orders");
        assertThat(m.route().id()).isEqualTo("v2");
        assertThat(m.version()).isEqualTo("2");
        assertThat(m.normalizedPath()).isEqualTo("/orders");
        assertThat(m.upstreamPath()).isEqualTo("/orders");
        assertThat(id(r, "/v1/orders")).isEqualTo("v1");
        assertThat(id(r, "/orders")).isEqualTo("v1"); // default: the first known
        assertThat(matched(r, get(), "/v2/orders/7").upstreamPath()).isEqualTo("/orders/7");
        assertThat(id(r, "/videos")).isEqualTo("NotFound"); // 'v' without a digit is not a version
        assertThat(r.match(get(), "/v3/orders")).isEqualTo(new Router.UnknownVersion("3", java.util.Set.of("1", "2")));
    }

    @Test
    void pathVersionCanBeKeptForTheUpstream() {
        Router r = router(Versioning.path().known("1", "2").keepPathSegment(true).build(),
                path("/orders/**").id("orders").stripPrefix(1), path("/").id("root"));
        assertThat(matched(r, get(), "/v2/orders/7").upstreamPath()).isEqualTo("/v2/7");
        assertThat(matched(r, get(), "/v2/orders/7").normalizedPath()).isEqualTo("/orders/7");
        assertThat(matched(r, get(), "/v2").upstreamPath()).isEqualTo("/v2");
        assertThat(matched(r, get(), "/v2/").upstreamPath()).isEqualTo("/v2/");
        assertThat(matched(r, get(), "/v2").route().id()).isEqualTo("root");
    }

    @Test
    void headerVersionWithDefaultAndUnknown() {
        Router r = versioned(Versioning.header("API-Version").known("1", "2").defaultVersion("2"));
        assertThat(id(r, "/orders", "API-Version", "1")).isEqualTo("v1");
        assertThat(id(r, "/orders", "api-version", " 2 ")).isEqualTo("v2");
        assertThat(id(r, "/orders")).isEqualTo("v2");
        assertThat(id(r, "/orders", "API-Version", "")).isEqualTo("v2"); // empty counts as missing
        assertThat(id(r, "/v1/orders", "API-Version", "1")).isEqualTo("NotFound"); // the path is not a source here
        assertThat(r.match(get("API-Version", "9"), "/orders")).isEqualTo(new Router.UnknownVersion("9", java.util.Set.of("1", "2")));
        // version-less routes serve every known version
        assertThat(matched(r, get("API-Version", "1"), "/orders/7").route().id()).isEqualTo("any");
        assertThat(matched(r, get("API-Version", "1"), "/orders/7").version()).isEqualTo("1");
    }

    @Test
    void mediaTypeVersionFromVendorTypeOrVersionParameter() {
        Router r = versioned(Versioning.mediaType().known("1", "2"));
        assertThat(id(r, "/orders", "Accept", "application/vnd.example.v2+json")).isEqualTo("v2");
        assertThat(id(r, "/orders", "Accept", "text/html, application/vnd.acme.orders.v2+json;q=0.9")).isEqualTo("v2");
        assertThat(id(r, "/orders", "Accept", "application/json; version=2")).isEqualTo("v2");
        assertThat(id(r, "/orders", "Accept", "application/json;version=\"1\"")).isEqualTo("v1");
        assertThat(id(r, "/orders", "Accept", "application/json")).isEqualTo("v1");
        assertThat(id(r, "/orders", "Accept", "*/*")).isEqualTo("v1");
        assertThat(id(r, "/orders")).isEqualTo("v1");
        assertThat(r.match(get("Accept", "application/vnd.example.v7+json"), "/orders"))
                .isEqualTo(new Router.UnknownVersion("7", java.util.Set.of("1", "2")));
    }

    @Test
    void sourcesAreCheckedPathThenHeaderThenMediaType() {
        Router r = versioned(Versioning.path().fromHeader("X-Api").fromMediaType().known("1", "2"));
        assertThat(id(r, "/v2/orders", "X-Api", "1", "Accept", "application/vnd.x.v1+json")).isEqualTo("v2");
        assertThat(id(r, "/orders", "X-Api", "2", "Accept", "application/vnd.x.v1+json")).isEqualTo("v2");
        assertThat(id(r, "/orders", "Accept", "application/vnd.x.v2+json")).isEqualTo("v2");
        assertThat(id(r, "/orders")).isEqualTo("v1");
    }

    @Test
    void aKnownVersionNoRouteServesIsNotFound() {
        Router r = router(Versioning.header("API-Version").known("1", "2", "3").build(), path("/orders").version("1", "2"));
        assertThat(id(r, "/orders", "API-Version", "3")).isEqualTo("NotFound");
        assertThat(id(r, "/orders", "API-Version", "2")).isEqualTo("/orders");
    }

    @Test
    void versioningSpecIsValidated() {
        assertThatThrownBy(() -> Versioning.path().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("versioning: no known versions (expected: .known(\"1\", ...))");
        assertThatThrownBy(() -> Versioning.path().known("1").defaultVersion("2").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("versioning.defaultVersion: '2' is not known (known: 1)");
        assertThatThrownBy(() -> Versioning.path().known("1 "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("versioning.known: '1 ' (expected: up to 32 letters, digits, '.', '_' or '-', such as 2 or 2024-01)");
        assertThatThrownBy(() -> Versioning.header("API Version"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("versioning.header: 'API Version' (expected: a header name such as API-Version)");
        assertThatThrownBy(() -> Route.path("/x").version("v/2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.version: 'v/2' (expected: up to 32 letters, digits, '.', '_' or '-', such as 2 or 2024-01)");
        Versioning v = Versioning.header("API-Version").known("2", "1").build();
        assertThat(v.defaultVersion()).isEqualTo("2");
        assertThat(v.known()).containsExactly("2", "1");
        assertThat(v.header()).hasValue("API-Version");
        assertThat(v.fromPath()).isFalse();
        assertThat(v.keepPathSegment()).isFalse();
    }

    @Test
    void unversionedRouterIgnoresVersionRoutesAsNone() {
        // without versioning, version() is null and a route restricted to a version never matches
        // (Gateway.build() rejects that combination; the router stays consistent anyway)
        Router r = router(path("/x").version("1"), path("/x").id("plain"));
        Router.Matched m = matched(r, get(Headers.ACCEPT.toString(), "application/vnd.x.v1+json"), "/x");
        assertThat(m.route().id()).isEqualTo("plain");
        assertThat(m.version()).isNull();
    }
}
