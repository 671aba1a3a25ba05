package dev.tollgate.upstream;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Sticky sessions end to end: a real gateway, two real backends, a client that keeps cookies. */
class StickySessionIT {

    private final TestBackend one = TestBackend.start("one");
    private final TestBackend two = TestBackend.start("two");
    private final HttpClient client = HttpClient.newBuilder()
            .cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
            .connectTimeout(Duration.ofSeconds(2)).build();
    private Gateway gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        one.close();
        two.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> stickyCookies(HttpResponse<?> response) {
        return response.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("TG_STICKY=")).toList();
    }

    @Test
    void aClientStaysOnOneBackendAndMovesWithANewCookieWhenItIsRemoved() throws Exception {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(one.uri()).endpoint(two.uri())
                        .loadBalancer(LoadBalancer.sticky("TG_STICKY", LoadBalancer.roundRobin())))
                .route(Route.prefix("/").to("b"))
                .build().start();

        HttpResponse<String> first = get("/first");
        assertThat(first.statusCode()).isEqualTo(200);
        String pinned = first.headers().firstValue(TestBackend.BACKEND_HEADER).orElseThrow();
        List<String> issued = stickyCookies(first);
        assertThat(issued).hasSize(1);
        assertThat(issued.get(0)).matches("TG_STICKY=[0-9a-f]{12}; Path=/; HttpOnly; SameSite=Lax")
                .doesNotContain(String.valueOf(one.uri().getPort()), String.valueOf(two.uri().getPort()), "127.0.0.1");

        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = get("/again/" + i);
            assertThat(r.headers().firstValue(TestBackend.BACKEND_HEADER)).as("request %d", i).hasValue(pinned);
            assertThat(stickyCookies(r)).as("a valid cookie is not re-issued").isEmpty();
        }

        TestBackend stays = pinned.equals("one") ? two : one;
        gateway.upstream("b").replaceEndpoints(List.of(Endpoint.of(stays.uri(), 1)));

        HttpResponse<String> moved = get("/after-removal");
        assertThat(moved.statusCode()).isEqualTo(200);
        assertThat(moved.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue(stays.name());
        List<String> reissued = stickyCookies(moved);
        assertThat(reissued).hasSize(1);
        assertThat(reissued.get(0)).isNotEqualTo(issued.get(0));

        // back on both endpoints, the client stays where its new cookie points
        gateway.upstream("b").replaceEndpoints(List.of(Endpoint.of(one.uri(), 1), Endpoint.of(two.uri(), 1)));
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = get("/later/" + i);
            assertThat(r.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue(stays.name());
            assertThat(stickyCookies(r)).isEmpty();
        }
    }

    @Test
    void clientsWithoutCookiesAreSpreadAndEachGetsOne() throws Exception {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(one.uri()).endpoint(two.uri())
                        .loadBalancer(LoadBalancer.sticky("TG_STICKY", LoadBalancer.roundRobin())))
                .route(Route.prefix("/").to("b"))
                .build().start();
        HttpClient cookieless = HttpClient.newHttpClient();
        java.util.Set<String> backends = new java.util.HashSet<>();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = cookieless.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gateway.port() + "/x")).build(), HttpResponse.BodyHandlers.ofString());
            backends.add(r.headers().firstValue(TestBackend.BACKEND_HEADER).orElseThrow());
            assertThat(stickyCookies(r)).hasSize(1);
        }
        assertThat(backends).containsExactlyInAnyOrder("one", "two");
    }
}
