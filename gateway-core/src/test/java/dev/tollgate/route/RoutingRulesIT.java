package dev.tollgate.route;

import dev.tollgate.Gateway;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A real gateway in front of two backends: routing by header, by cookie, by API version, and the 400 for an unknown one. */
class RoutingRulesIT {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private TestBackend blue;
    private TestBackend green;
    private Gateway gateway;

    @BeforeEach
    void start() {
        blue = TestBackend.start("blue");
        green = TestBackend.start("green");
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("blue").endpoint(blue.uri().toString()))
                .upstream(Upstream.builder("green").endpoint(green.uri().toString()))
                .versioning(Versioning.header("API-Version").fromMediaType().known("1", "2").defaultVersion("1"))
                .route(Route.prefix("/shop").headerMatches("X-Tenant", "acme-.*").to("green"))
                .route(Route.prefix("/shop").cookie("channel", "beta").to("green"))
                .route(Route.prefix("/shop").to("blue"))
                .route(Route.prefix("/orders").version("2").to("green"))
                .route(Route.prefix("/orders").version("1").to("blue"))
                .build().start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        blue.close();
        green.close();
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String backend(String path, String... headers) throws Exception {
        HttpResponse<String> r = get(path, headers);
        assertThat(r.statusCode()).as("status of %s", path).isEqualTo(200);
        return r.headers().firstValue(TestBackend.BACKEND_HEADER).orElseThrow();
    }

    @Test
    void headerAndCookiePredicatesPickTheUpstream() throws Exception {
        assertThat(backend("/shop/cart", "X-Tenant", "acme-eu")).isEqualTo("green");
        assertThat(backend("/shop/cart", "X-Tenant", "globex")).isEqualTo("blue");
        assertThat(backend("/shop/cart", "Cookie", "sid=1; channel=beta")).isEqualTo("green");
        assertThat(backend("/shop/cart")).isEqualTo("blue");
        assertThat(green.lastRequest().path()).isEqualTo("/shop/cart");
    }

    @Test
    void versionFromHeaderOrMediaTypeWithTheDefaultForNone() throws Exception {
        assertThat(backend("/orders/1", "API-Version", "2")).isEqualTo("green");
        assertThat(backend("/orders/1", "API-Version", "1")).isEqualTo("blue");
        assertThat(backend("/orders/1", "Accept", "application/vnd.example.v2+json")).isEqualTo("green");
        assertThat(backend("/orders/1", "Accept", "application/json; version=2")).isEqualTo("green");
        assertThat(backend("/orders/1")).isEqualTo("blue");
        assertThat(green.lastRequest().path()).isEqualTo("/orders/1");
    }

    @Test
    void unknownVersionIsA400Problem() throws Exception {
        long before = blue.requestCount() + green.requestCount();
        for (HttpResponse<String> r : new HttpResponse[] {
                get("/orders/1", "API-Version", "3"), get("/orders/1", "Accept", "application/vnd.example.v3+json")}) {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
            assertThat(r.body()).contains("\"code\":\"unknown-api-version\"")
                    .contains("\"type\":\"https://tollgate.dev/problems/unknown-api-version\"")
                    .contains("API version '3' is not known (known: 1, 2)");
        }
        assertThat(blue.requestCount() + green.requestCount()).isEqualTo(before);
    }

    @Test
    void pathVersioningStripsTheSegmentBeforeForwarding() throws Exception {
        try (Gateway g = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("blue").endpoint(blue.uri().toString()))
                .upstream(Upstream.builder("green").endpoint(green.uri().toString()))
                .versioning(Versioning.path().known("1", "2"))
                .route(Route.prefix("/orders").version("2").to("green"))
                .route(Route.prefix("/orders").to("blue"))
                .build().start()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + g.port() + "/v2/orders/9?x=1")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("green");
            assertThat(green.lastRequest().path()).isEqualTo("/orders/9");
            assertThat(green.lastRequest().query()).isEqualTo("x=1");
            HttpResponse<String> unknown = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + g.port() + "/v9/orders")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(unknown.body()).contains("\"code\":\"unknown-api-version\"");
        }
    }
}
