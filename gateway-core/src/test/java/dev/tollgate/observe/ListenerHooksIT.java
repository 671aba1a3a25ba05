package dev.tollgate.observe;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.Upstream;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** A listener can add headers to each attempt's upstream request, and middleware find the gateway's listener. */
class ListenerHooksIT {

    @Test
    void listenersDecorateUpstreamRequestsAndMiddlewareReachThem() throws Exception {
        GatewayListener tracer = new GatewayListener() {
            @Override
            public void upstreamRequest(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                        HeaderMap headers) {
                headers.put(new HttpString("X-Attempt"), upstream + "#" + attempt);
            }

            @Override
            public void rateLimitDecided(HttpServerExchange exchange, String policy, boolean allowed, long remaining) {
                exchange.getResponseHeaders().put(new HttpString("X-Heard"), policy + " " + allowed + " " + remaining);
            }
        };
        try (TestBackend backend = TestBackend.start("b")) {
            Gateway gateway = Gateway.builder().host("127.0.0.1").port(0)
                    .upstream(Upstream.builder("orders").endpoint(backend.uri().toString()))
                    .listener(tracer)
                    .use(next -> exchange -> {
                        GatewayListener.of(exchange).rateLimitDecided(exchange, "burst", true, 7);
                        next.handleRequest(exchange);
                    })
                    .route(Route.prefix("/").to("orders"))
                    .build().start();
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/x")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("X-Heard")).contains("burst true 7");
                assertThat(backend.lastRequest().header("X-Attempt")).isEqualTo("orders#1");
            } finally {
                gateway.close();
            }
        }
    }
}
