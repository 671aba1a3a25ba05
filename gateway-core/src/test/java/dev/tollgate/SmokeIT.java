package dev.tollgate;

import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;
import io.undertow.Undertow;
import io.undertow.util.Headers;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeIT {
    @Test
    void proxies() throws Exception {
        Undertow backend = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(ex -> {
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            ex.getResponseSender().send("hello " + ex.getRequestPath() + " host=" + ex.getRequestHeaders().getFirst("Host")
                    + " xff=" + ex.getRequestHeaders().getFirst("X-Forwarded-For"));
        }).build();
        backend.start();
        int bport = ((InetSocketAddress) backend.getListenerInfo().get(0).getAddress()).getPort();
        try (Gateway gw = Gateway.builder().port(0).host("127.0.0.1")
                .upstream(Upstream.builder("b").endpoint("http://127.0.0.1:" + bport))
                .route(Route.prefix("/api").stripPrefix(1).to("b"))
                .build().start()) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/api/x?y=1"))
                        .header("X-Forwarded-For", "6.6.6.6").build(), HttpResponse.BodyHandlers.ofString());
                System.out.println(r.statusCode() + " " + r.headers().map() + " " + r.body());
                assertThat(r.statusCode()).isEqualTo(200);
            }
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/nope")).build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.println(r.statusCode() + " " + r.headers().map() + " " + r.body());
            r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/api/post"))
                    .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100000))).build(), HttpResponse.BodyHandlers.ofString());
            System.out.println(r.statusCode() + " " + r.body());
            r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            System.out.println(r.statusCode() + " " + r.body());
            r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port() + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
            System.out.println(r.statusCode() + " " + r.body());
        } finally {
            backend.stop();
        }
    }
}
