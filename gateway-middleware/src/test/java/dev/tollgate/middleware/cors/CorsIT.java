package dev.tollgate.middleware.cors;

import dev.tollgate.Gateway;
import dev.tollgate.error.Problem;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.Raw;
import dev.tollgate.route.Route;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CORS through a real gateway: preflights answered before authentication, actual requests decorated
 * (also the gateway's own problem responses), upstream CORS headers never leaking past the policy.
 */
class CorsIT {

    private static final String APP = "https://app.example.com";
    private static final String PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
    private static TestBackend backend;
    private static Gateway gateway;

    @BeforeAll
    static void start() {
        backend = TestBackend.builder()
                // an upstream with its own, too generous CORS policy
                .route("/api/upstream-cors", ex -> {
                    ex.getResponseHeaders().put(HttpString.tryFromString("Access-Control-Allow-Origin"), "*");
                    ex.getResponseHeaders().put(HttpString.tryFromString("Access-Control-Allow-Credentials"), "true");
                    ex.getResponseHeaders().put(Headers.VARY, "Accept-Encoding");
                    ex.getResponseSender().send("ok");
                })
                .start();
        Middleware auth = Middleware.rejectIf(ex -> !"Bearer good".equals(ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION)),
                Problem.UNAUTHORIZED);
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                // CORS before authentication, as documented
                .route(Route.prefix("/api")
                        .use(Cors.allowOrigins(APP).allowOriginPatterns("https://*.partner.example")
                                .allowMethods("GET", "PUT", "DELETE").allowHeaders("Authorization", "Content-Type")
                                .exposeHeaders("X-Request-Count").allowCredentials(true).build())
                        .use(auth)
                        .to("b"))
                .route(Route.prefix("/plain")
                        .use(Cors.allowOrigins(APP).allowMethods("GET", "PUT").allowHeaders("Content-Type", "X-Trace")
                                .maxAge(Duration.ofSeconds(120)).build())
                        .to("b"))
                .route(Route.prefix("/open").use(Cors.builder().allowAnyOrigin().build()).to("b"))
                .route(Route.prefix("/sandbox").use(Cors.allowOrigins("null").build()).to("b"))
                .build().start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        backend.close();
    }

    private static RawResponse preflight(String path, String origin, String method, String headers) throws IOException {
        return headers == null
                ? Raw.send(gateway.port(), "OPTIONS", path, "Origin: " + origin, "Access-Control-Request-Method: " + method)
                : Raw.send(gateway.port(), "OPTIONS", path, "Origin: " + origin, "Access-Control-Request-Method: " + method,
                        "Access-Control-Request-Headers: " + headers);
    }

    private static void assertNoCorsHeaders(RawResponse r) {
        assertThat(r.headers().keySet()).noneMatch(h -> h.toLowerCase().startsWith("access-control-"));
    }

    private static void assertRejected(RawResponse r) {
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"cors-rejected\"");
        assertNoCorsHeaders(r);
    }

    @Test
    void aPreflightWithoutCredentialsIsAnsweredByTheGateway() throws Exception {
        long before = backend.requestCount();
        RawResponse r = preflight("/plain/items", APP, "PUT", "content-type,X-Trace");
        assertThat(r.status()).isEqualTo(204);
        assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo(APP);
        assertThat(r.header("Access-Control-Allow-Methods")).isEqualTo("GET, PUT");
        assertThat(r.header("Access-Control-Allow-Headers")).isEqualTo("content-type, x-trace");
        assertThat(r.header("Access-Control-Max-Age")).isEqualTo("120");
        assertThat(r.header("Access-Control-Allow-Credentials")).isNull();
        assertThat(r.header("Vary")).isEqualTo(PREFLIGHT_VARY);
        assertThat(r.bodyBytes()).isEmpty();
        assertThat(backend.requestCount()).isEqualTo(before);
    }

    @Test
    void aPreflightWithCredentialsEchoesTheOriginAndNeedsNoToken() throws Exception {
        long before = backend.requestCount();
        RawResponse r = preflight("/api/orders", APP, "DELETE", "authorization");
        assertThat(r.status()).isEqualTo(204);
        assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo(APP);
        assertThat(r.header("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(r.header("Access-Control-Allow-Headers")).isEqualTo("authorization");
        assertThat(r.header("Access-Control-Max-Age")).isEqualTo("600");
        assertThat(backend.requestCount()).isEqualTo(before);
        RawResponse sub = preflight("/api/orders", "https://eu.shop.partner.example", "GET", null);
        assertThat(sub.status()).isEqualTo(204);
        assertThat(sub.header("Access-Control-Allow-Origin")).isEqualTo("https://eu.shop.partner.example");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://evil.example", "https://app.example.com.evil.com", "https://partner.example.evil.com",
            "https://partner.example", "http://app.example.com", "https://app.example.com:8443", "null",
            "https://app.example.com/"})
    void aPreflightFromAnotherOriginGetsNoCorsHeaders(String origin) throws Exception {
        long before = backend.requestCount();
        assertRejected(preflight("/api/orders", origin, "GET", null));
        assertThat(backend.requestCount()).isEqualTo(before);
    }

    @Test
    void aPreflightAskingForMoreThanAllowedIsRejected() throws Exception {
        assertRejected(preflight("/api/orders", APP, "PATCH", null));
        assertRejected(preflight("/api/orders", APP, "put", null)); // methods compare exactly
        assertRejected(preflight("/api/orders", APP, "GET", "authorization, x-evil"));
        assertRejected(preflight("/api/orders", APP, "GET", "authorization, bad header"));
        assertThat(preflight("/api/orders", APP, "GET", "authorization, x-evil").body()).contains("\"detail\":\"header not allowed\"");
    }

    @Test
    void twoOriginHeadersAreNoOrigin() throws Exception {
        RawResponse r = Raw.send(gateway.port(), "OPTIONS", "/api/orders", "Origin: " + APP, "Origin: https://evil.example",
                "Access-Control-Request-Method: GET");
        assertRejected(r);
    }

    @Test
    void aNonPreflightOptionsGoesThroughAuthentication() throws Exception {
        RawResponse denied = Raw.send(gateway.port(), "OPTIONS", "/api/orders", "Origin: " + APP);
        assertThat(denied.status()).isEqualTo(401);
        // the gateway's own problem response carries the CORS headers, so the page can read the 401
        assertThat(denied.header("Access-Control-Allow-Origin")).isEqualTo(APP);
        assertThat(denied.header("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(denied.header("Vary")).isEqualTo("Origin");

        RawResponse allowed = Raw.send(gateway.port(), "OPTIONS", "/api/orders", "Origin: " + APP, "Authorization: Bearer good");
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(backend.lastRequest().method()).isEqualTo("OPTIONS");
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(APP);
        // an OPTIONS with Access-Control-Request-Method but no Origin is not a preflight either
        assertThat(Raw.send(gateway.port(), "OPTIONS", "/api/orders", "Access-Control-Request-Method: GET").status()).isEqualTo(401);
    }

    @Test
    void anActualRequestFromAnAllowedOriginIsDecoratedAndTheUpstreamsPolicyReplaced() throws Exception {
        RawResponse r = Raw.send(gateway.port(), "GET", "/api/upstream-cors", "Origin: " + APP, "Authorization: Bearer good");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
        assertThat(r.headers().get("Access-Control-Allow-Origin")).containsExactly(APP);
        assertThat(r.headers().get("Access-Control-Allow-Credentials")).containsExactly("true");
        assertThat(r.header("Access-Control-Expose-Headers")).isEqualTo("X-Request-Count");
        assertThat(r.headers().get("Vary")).containsExactly("Accept-Encoding", "Origin");
    }

    @Test
    void anActualRequestFromAnotherOriginGetsNoCorsHeadersEvenIfTheUpstreamSentSome() throws Exception {
        for (String origin : List.of("https://app.example.com.evil.com", "null", "http://app.example.com")) {
            RawResponse r = Raw.send(gateway.port(), "GET", "/api/upstream-cors", "Origin: " + origin, "Authorization: Bearer good");
            assertThat(r.status()).isEqualTo(200);
            assertNoCorsHeaders(r);
            assertThat(r.headers().get("Vary")).containsExactly("Accept-Encoding", "Origin");
        }
        RawResponse noOrigin = Raw.send(gateway.port(), "GET", "/api/upstream-cors", "Authorization: Bearer good");
        assertNoCorsHeaders(noOrigin);
    }

    @Test
    void anyOriginWithoutCredentialsIsAStar() throws Exception {
        RawResponse pre = preflight("/open/x", "https://anyone.example", "POST", null);
        assertThat(pre.status()).isEqualTo(204);
        assertThat(pre.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(pre.header("Access-Control-Allow-Credentials")).isNull();
        RawResponse actual = Raw.send(gateway.port(), "GET", "/open/x", "Origin: https://anyone.example");
        assertThat(actual.status()).isEqualTo(200);
        assertThat(actual.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(actual.header("Vary")).isNull();
    }

    @Test
    void theNullOriginOnlyWhereListed() throws Exception {
        assertRejected(preflight("/plain/x", "null", "GET", null));
        RawResponse listed = preflight("/sandbox/x", "null", "GET", null);
        assertThat(listed.status()).isEqualTo(204);
        assertThat(listed.header("Access-Control-Allow-Origin")).isEqualTo("null");
    }
}
