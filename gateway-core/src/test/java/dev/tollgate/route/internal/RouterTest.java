package dev.tollgate.route.internal;

import dev.tollgate.route.Route;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

class RouterTest {

    private static Route.Builder path(String template) {
        return Route.path(template).handler(ex -> { });
    }

    private static Router router(Route.Builder... routes) {
        List<Route> list = new ArrayList<>();
        for (Route.Builder b : routes) {
            list.add(b.build());
        }
        return new Router(list);
    }

    private static HttpServerExchange get() {
        return exchange(Methods.GET);
    }

    private static HttpServerExchange exchange(HttpString method) {
        HttpServerExchange ex = new HttpServerExchange(null);
        ex.setRequestMethod(method);
        return ex;
    }

    private static Router.Matched matched(Router router, HttpServerExchange ex, String path) {
        Router.Result r = router.match(ex, path);
        assertThat(r).as("result for %s", path).isInstanceOf(Router.Matched.class);
        return (Router.Matched) r;
    }

    private static String idFor(Router router, String path) {
        return matched(router, get(), path).route().id();
    }

    @Test
    void literalBeatsVariableBeatsTailWhateverTheDeclarationOrder() {
        Router r = router(path("/users/**").id("tail"), path("/users/{id}").id("var"), path("/users/me").id("literal"));
        assertThat(idFor(r, "/users/me")).isEqualTo("literal");
        assertThat(idFor(r, "/users/42")).isEqualTo("var");
        assertThat(idFor(r, "/users/42/orders")).isEqualTo("tail");
        assertThat(idFor(r, "/users")).isEqualTo("tail");

        Router reversed = router(path("/users/me").id("literal"), path("/users/{id}").id("var"), path("/users/**").id("tail"));
        assertThat(idFor(reversed, "/users/me")).isEqualTo("literal");
        assertThat(idFor(reversed, "/users/42")).isEqualTo("var");
        assertThat(idFor(reversed, "/users/42/orders")).isEqualTo("tail");
    }

    @Test
    void theFirstPointOfDifferenceDecides() {
        // segment 2 differs: literal "b" wins over {x}, even though the {x} route has more literals after it
        Router r = router(path("/a/{x}/c").id("var-then-literal"), path("/a/b/**").id("literal-then-tail"));
        assertThat(idFor(r, "/a/b/c")).isEqualTo("literal-then-tail");
        assertThat(idFor(r, "/a/z/c")).isEqualTo("var-then-literal");
    }

    @Test
    void deeperTailBeatsShallowerTail() {
        Router r = router(path("/**").id("all"), path("/api/**").id("api"), path("/api/v1/**").id("v1"));
        assertThat(idFor(r, "/api/v1/x")).isEqualTo("v1");
        assertThat(idFor(r, "/api/v2/x")).isEqualTo("api");
        assertThat(idFor(r, "/other")).isEqualTo("all");
        assertThat(idFor(r, "/")).isEqualTo("all");
    }

    @Test
    void variablesAreExtractedWithPercentEncodingKept() {
        Router r = router(path("/users/{id}/orders/{orderId}"), path("/files/{name}/**"));
        Router.Matched m = matched(r, get(), "/users/a%20b/orders/x%2Fy");
        assertThat(m.variables()).containsExactly(Map.entry("id", "a%20b"), Map.entry("orderId", "x%2Fy"));
        assertThat(matched(r, get(), "/files/report.pdf/pages/1").variables()).containsExactly(Map.entry("name", "report.pdf"));
        assertThat(matched(r, get(), "/files/x").variables()).containsExactly(Map.entry("name", "x"));
    }

    @Test
    void variablesCannotBeChangedByWhoeverReadsThem() {
        Router r = router(path("/users/{id}"));
        Map<String, String> vars = matched(r, get(), "/users/1").variables();
        assertThatThrownBy(() -> vars.put("id", "2")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void variableMatchesExactlyOneSegment() {
        Router r = router(path("/users/{id}"));
        assertThat(r.match(get(), "/users")).isInstanceOf(Router.NotFound.class);
        assertThat(r.match(get(), "/users/1/2")).isInstanceOf(Router.NotFound.class);
    }

    @Test
    void prefixMatchesTheBarePrefixAndEverythingBelowButNotASiblingName() {
        Router r = router(Route.prefix("/api").id("api").handler(ex -> { }));
        assertThat(idFor(r, "/api")).isEqualTo("api");
        assertThat(idFor(r, "/api/")).isEqualTo("api");
        assertThat(idFor(r, "/api/orders/1")).isEqualTo("api");
        assertThat(r.match(get(), "/apix")).isInstanceOf(Router.NotFound.class);
        assertThat(r.match(get(), "/")).isInstanceOf(Router.NotFound.class);
    }

    @Test
    void prefixWithTrailingSlashAndRootPrefix() {
        assertThat(Route.prefix("/api/").handler(ex -> { }).build().template()).isEqualTo("/api/**");
        Router r = router(Route.prefix("/").id("root").handler(ex -> { }));
        assertThat(idFor(r, "/")).isEqualTo("root");
        assertThat(idFor(r, "/anything/at/all")).isEqualTo("root");
    }

    @Test
    void trailingSlashIsNotSignificant() {
        Router r = router(path("/users").id("list"), path("/orders/").id("orders"), path("/").id("root"));
        assertThat(idFor(r, "/users")).isEqualTo("list");
        assertThat(idFor(r, "/users/")).isEqualTo("list");
        assertThat(idFor(r, "/orders")).isEqualTo("orders");
        assertThat(idFor(r, "/orders/")).isEqualTo("orders");
        assertThat(idFor(r, "/")).isEqualTo("root");
        // the normalised path keeps the slash for forwarding
        assertThat(matched(r, get(), "/users/").normalizedPath()).isEqualTo("/users/");
    }

    @Test
    void amongEqualRoutesTheFirstDeclaredWins() {
        Router r = router(path("/x/{a}").id("first"), path("/x/{b}").id("second"));
        assertThat(idFor(r, "/x/1")).isEqualTo("first");
        Router reversed = router(path("/x/{b}").id("second"), path("/x/{a}").id("first"));
        assertThat(idFor(reversed, "/x/1")).isEqualTo("second");
    }

    @Test
    void failingPredicatesFallThroughToTheNextCandidate() {
        Router r = router(
                path("/api/{v}").id("header").header("X-Tenant", "acme"),
                path("/api/{v}").id("query").query("beta", "1"),
                path("/api/{v}").id("present").headerPresent("X-Debug"),
                path("/api/{v}").id("qpresent").queryPresent("trace"),
                path("/api/{v}").id("when").when(ex -> "yes".equals(ex.getRequestHeaders().getFirst("X-When"))),
                path("/api/**").id("fallback"));

        HttpServerExchange tenant = get();
        tenant.getRequestHeaders().put(new HttpString("X-Tenant"), "acme");
        assertThat(matched(r, tenant, "/api/1").route().id()).isEqualTo("header");

        HttpServerExchange otherTenant = get();
        otherTenant.getRequestHeaders().put(new HttpString("X-Tenant"), "globex");
        assertThat(matched(r, otherTenant, "/api/1").route().id()).isEqualTo("fallback");

        HttpServerExchange beta = get();
        beta.setQueryString("beta=1");
        beta.addQueryParam("beta", "1");
        assertThat(matched(r, beta, "/api/1").route().id()).isEqualTo("query");

        HttpServerExchange betaTwo = get();
        betaTwo.addQueryParam("beta", "2");
        assertThat(matched(r, betaTwo, "/api/1").route().id()).isEqualTo("fallback");

        HttpServerExchange debug = get();
        debug.getRequestHeaders().put(new HttpString("x-debug"), "");
        assertThat(matched(r, debug, "/api/1").route().id()).isEqualTo("present");

        HttpServerExchange trace = get();
        trace.addQueryParam("trace", "");
        assertThat(matched(r, trace, "/api/1").route().id()).isEqualTo("qpresent");

        HttpServerExchange custom = get();
        custom.getRequestHeaders().put(new HttpString("X-When"), "yes");
        assertThat(matched(r, custom, "/api/1").route().id()).isEqualTo("when");

        assertThat(matched(r, get(), "/api/1").route().id()).isEqualTo("fallback");
        // a deeper path only reaches the tail route
        assertThat(matched(r, tenant, "/api/1/2").route().id()).isEqualTo("fallback");
    }

    @Test
    void headerPredicateAcceptsAnyOfSeveralValues() {
        Router r = router(path("/x").header("Accept", "application/json"));
        HttpServerExchange ex = get();
        ex.getRequestHeaders().add(Headers.ACCEPT, "text/html");
        ex.getRequestHeaders().add(Headers.ACCEPT, "application/json");
        assertThat(r.match(ex, "/x")).isInstanceOf(Router.Matched.class);
    }

    @Test
    void hostPredicateIgnoresPortAndCaseAndSupportsWildcardSubdomains() {
        Router r = router(path("/").id("exact").host("API.example.com"), path("/").id("wild").host("*.example.com"),
                path("/").id("other"));
        assertThat(matched(r, withHost("api.EXAMPLE.com:8443"), "/").route().id()).isEqualTo("exact");
        assertThat(matched(r, withHost("shop.example.com"), "/").route().id()).isEqualTo("wild");
        assertThat(matched(r, withHost("a.b.example.com"), "/").route().id()).isEqualTo("wild");
        // the wildcard needs a subdomain
        assertThat(matched(r, withHost("example.com"), "/").route().id()).isEqualTo("other");
        assertThat(matched(r, withHost("badexample.com"), "/").route().id()).isEqualTo("other");
    }

    @Test
    void hostPredicateWithoutHostHeaderUsesTheLocalAddressAndDoesNotMatchANamedHost() {
        // HttpServerExchange.getHostName() falls back to the connection's local address: the one narrow seam mocked here
        ServerConnection connection = mock(ServerConnection.class);
        when(connection.getLocalAddress(any())).thenReturn(new InetSocketAddress("127.0.0.1", 8000));
        HttpServerExchange ex = new HttpServerExchange(connection);
        ex.setRequestMethod(Methods.GET);
        Router r = router(path("/").id("named").host("api.example.com"), path("/").id("ip").host("127.0.0.1"));
        assertThat(matched(r, ex, "/").route().id()).isEqualTo("ip");
    }

    private static HttpServerExchange withHost(String host) {
        HttpServerExchange ex = get();
        ex.getRequestHeaders().put(Headers.HOST, host);
        return ex;
    }

    @Test
    void methodMismatchOnEveryCandidateGives405WithTheUnionOfAllowedMethods() {
        Router r = router(path("/orders/{id}").methods("GET", "PUT"), path("/orders/**").methods(Methods.DELETE, Methods.PUT));
        Router.Result result = r.match(exchange(Methods.POST), "/orders/1");
        assertThat(result).isInstanceOf(Router.MethodNotAllowed.class);
        assertThat(((Router.MethodNotAllowed) result).allowed()).containsExactly("GET", "PUT", "DELETE");
    }

    @Test
    void methodsAreNormalisedToUpperCase() {
        Router r = router(path("/x").methods("get"));
        assertThat(r.match(exchange(Methods.GET), "/x")).isInstanceOf(Router.Matched.class);
    }

    @Test
    void aLaterCandidateThatAllowsTheMethodWinsOver405() {
        Router r = router(path("/orders/{id}").id("read").methods("GET"), path("/orders/**").id("any"));
        assertThat(matched(r, exchange(Methods.DELETE), "/orders/1").route().id()).isEqualTo("any");
        assertThat(matched(r, exchange(Methods.GET), "/orders/1").route().id()).isEqualTo("read");
    }

    @Test
    void routesWhosePredicatesFailDoNotContributeTo405() {
        Router r = router(path("/x").methods("GET").header("X-A", "1"), path("/x").id("post").methods("POST"));
        Router.Result result = r.match(exchange(Methods.PUT), "/x");
        assertThat(((Router.MethodNotAllowed) result).allowed()).containsExactly("POST");
        // predicates fail and no method matches anywhere: still 405 from the route whose predicates pass
        HttpServerExchange a = exchange(Methods.PUT);
        a.getRequestHeaders().put(new HttpString("X-A"), "1");
        assertThat(((Router.MethodNotAllowed) r.match(a, "/x")).allowed()).containsExactly("GET", "POST");
    }

    @Test
    void onlyPredicateFailuresGive404() {
        Router r = router(path("/x").methods("GET").header("X-A", "1"));
        assertThat(r.match(exchange(Methods.POST), "/x")).isInstanceOf(Router.NotFound.class);
    }

    @Test
    void unknownPathGives404WithTheNormalisedPath() {
        Router r = router(path("/a"), path("/b/{x}"));
        Router.Result result = r.match(get(), "/c//d/./e");
        assertThat(result).isEqualTo(new Router.NotFound("/c/d/e"));
        assertThat(router().match(get(), "/")).isEqualTo(new Router.NotFound("/"));
    }

    @Test
    void badPathsAreReported() {
        Router r = router(Route.prefix("/").handler(ex -> { }));
        assertThat(r.match(get(), "/a/../..")).isInstanceOf(Router.BadPath.class);
        assertThat(r.match(get(), "*")).isInstanceOf(Router.BadPath.class);
        assertThat(r.match(get(), "")).isInstanceOf(Router.BadPath.class);
    }

    @Test
    void matchingUsesTheNormalisedPath() {
        Router r = router(path("/a/b").id("ab"), path("/admin/**").id("admin"), path("/**").id("public"));
        Router.Matched m = matched(r, get(), "//a///x/../b");
        assertThat(m.route().id()).isEqualTo("ab");
        assertThat(m.normalizedPath()).isEqualTo("/a/b");
        assertThat(idFor(r, "/public/%2e%2e/admin/users")).isEqualTo("admin");
    }

    @Test
    void percentEncodedUnreservedCharactersCannotDodgeALiteralRoute() {
        // a backend decodes %61 to 'a'; the gateway must route /%61dmin like /admin
        Router r = router(path("/admin/**").id("admin"), path("/**").id("public"));
        assertThat(idFor(r, "/%61dmin/users")).isEqualTo("admin");
        assertThat(idFor(r, "/ad%6D%69n")).isEqualTo("admin");
        assertThat(matched(r, get(), "/%61dmin/users").normalizedPath()).isEqualTo("/admin/users");
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
            "/, /",
            "/a/b, /a/b",
            "//a///b, /a/b",
            "/a/./b, /a/b",
            "/a/b/../c, /a/c",
            "/a/%2e%2e/b, /b",
            "/a/%2E%2e/b, /b",
            "/a/.%2e/b, /b",
            "/a/%2e/b, /a/b",
            "/a/b/, /a/b/",
            "//a//b//, /a/b/",
            "/a/b/.., /a/",
            "/a/b/., /a/b/",
            "/a/.., /",
            "/., /",
            "//, /",
            "/a/..b/c, /a/..b/c",
            "/a/b.., /a/b..",
            "/a/%2e%2ex, /a/..x",
            "/%7Euser/%41%2d%5F%2E, /~user/A-_.",
            "/a%20b/c%2Fd/%C3%A9, /a%20b/c%2Fd/%C3%A9",
            "/a/%zz/%4, /a/%zz/%4",
            "/.., null",
            "/a/../.., null",
            "/%2e%2e/x, null",
            "a/b, null",
            "*, null",
    })
    void normalize(String raw, String expected) {
        assertThat(Router.normalize(raw)).isEqualTo(expected);
    }

    @Test
    void normalizeRejectsNullAndEmpty() {
        assertThat(Router.normalize(null)).isNull();
        assertThat(Router.normalize("")).isNull();
    }

    @Test
    void stripPrefixAndRewriteGiveTheUpstreamPath() {
        Route strip1 = Route.prefix("/api").stripPrefix(1).to("x").build();
        assertThat(strip1.upstreamPath("/api/orders/1")).isEqualTo("/orders/1");
        assertThat(strip1.upstreamPath("/api")).isEqualTo("/");
        assertThat(strip1.upstreamPath("/api/")).isEqualTo("/");
        assertThat(strip1.upstreamPath("/api/orders/")).isEqualTo("/orders/");

        Route strip2 = Route.prefix("/api/v1").stripPrefix(2).to("x").build();
        assertThat(strip2.upstreamPath("/api/v1/orders")).isEqualTo("/orders");
        assertThat(strip2.upstreamPath("/api/v1")).isEqualTo("/");
        assertThat(strip2.upstreamPath("/api")).isEqualTo("/");

        Route none = Route.prefix("/api").to("x").build();
        assertThat(none.upstreamPath("/api/orders")).isEqualTo("/api/orders");

        Route rewrite = Route.prefix("/api").stripPrefix(1).rewrite("^/orders/(\\d+)$", "/v2/orders/$1").to("x").build();
        assertThat(rewrite.upstreamPath("/api/orders/42")).isEqualTo("/v2/orders/42");
        assertThat(rewrite.upstreamPath("/api/users/42")).isEqualTo("/users/42");

        Route named = Route.path("/u/{id}").rewrite("^/u/(?<id>[^/]+)$", "/users/${id}").to("x").build();
        assertThat(named.upstreamPath("/u/7")).isEqualTo("/users/7");

        Route leadingSlashRestored = Route.prefix("/svc").rewrite("^/svc/", "").to("x").build();
        assertThat(leadingSlashRestored.upstreamPath("/svc/a/b")).isEqualTo("/a/b");
    }

    @Test
    void routerWithAThousandRoutesFindsTheRightOne() {
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            routes.add(Route.path("/svc" + i + "/items/{id}").id("items-" + i).handler(ex -> { }).build());
            routes.add(Route.path("/svc" + i + "/items/special").id("special-" + i).handler(ex -> { }).build());
            routes.add(Route.prefix("/svc" + i).id("prefix-" + i).handler(ex -> { }).build());
            routes.add(Route.path("/svc" + i + "/admin").id("admin-" + i).methods("POST").handler(ex -> { }).build());
        }
        Router r = new Router(routes);
        assertThat(r.size()).isEqualTo(1000);
        for (int i = 0; i < 250; i += 7) {
            Router.Matched items = matched(r, get(), "/svc" + i + "/items/" + (i * 3));
            assertThat(items.route().id()).isEqualTo("items-" + i);
            assertThat(items.variables()).containsExactly(Map.entry("id", String.valueOf(i * 3)));
            assertThat(idFor(r, "/svc" + i + "/items/special")).isEqualTo("special-" + i);
            assertThat(idFor(r, "/svc" + i + "/other/thing")).isEqualTo("prefix-" + i);
            assertThat(matched(r, exchange(Methods.POST), "/svc" + i + "/admin").route().id()).isEqualTo("admin-" + i);
            // GET /svcN/admin falls through to the prefix route, which allows any method
            assertThat(idFor(r, "/svc" + i + "/admin")).isEqualTo("prefix-" + i);
        }
        assertThat(r.match(get(), "/svc250/items/1")).isInstanceOf(Router.NotFound.class);
    }
}
