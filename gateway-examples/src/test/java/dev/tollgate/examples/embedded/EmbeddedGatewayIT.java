package dev.tollgate.examples.embedded;

import dev.tollgate.Gateway;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's embedding example and the two example middleware, against real backends. */
class EmbeddedGatewayIT {

    private final HttpClient client = HttpClient.newHttpClient();

    @Test
    void twoRoutesTwoUpstreamsAndBothExampleMiddleware() throws Exception {
        try (TestBackend orders = TestBackend.start("orders");
             TestBackend users = TestBackend.start("users");
             Gateway gateway = EmbeddedGateway.build(0, orders.uri().toString(), users.uri().toString()).start()) {
            String base = "http://127.0.0.1:" + gateway.port();

            HttpResponse<String> order = client.send(HttpRequest.newBuilder(URI.create(base + "/orders/42")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(order.statusCode()).isEqualTo(200);
            assertThat(order.headers().firstValue("X-Backend")).hasValue("orders");
            assertThat(order.headers().firstValue("X-Served-By")).hasValue("tollgate");
            assertThat(orders.lastRequest().path()).isEqualTo("/42");
            assertThat(orders.lastRequest().header("X-Served-By")).isEqualTo("tollgate");

            HttpResponse<String> denied = client.send(HttpRequest.newBuilder(URI.create(base + "/admin/users")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(denied.statusCode()).isEqualTo(403);
            assertThat(denied.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(denied.headers().firstValue("X-Served-By")).hasValue("tollgate");
            assertThat(users.requestCount()).isZero();

            HttpResponse<String> admitted = client.send(HttpRequest.newBuilder(URI.create(base + "/admin/users"))
                    .header("X-Admin-Token", "let-me-in").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(admitted.statusCode()).isEqualTo(200);
            assertThat(users.lastRequest().path()).isEqualTo("/admin/users");
        }
    }
}
