package dev.tollgate.resilience;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.testing.FaultProxy;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.OutlierDetection;
import dev.tollgate.upstream.Upstream;
import io.undertow.util.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tollgate.resilience.Fixture.bytes;
import static dev.tollgate.resilience.Fixture.expectedBody;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fallbacks: a static answer, a handler, another upstream; when the breaker is open or every attempt failed. */
class FallbackIT {

    private final Fixture f = new Fixture();

    @AfterEach
    void close() throws Exception {
        f.close();
    }

    private FaultProxy refusing() throws Exception {
        TestBackend a = f.track(TestBackend.start("a"));
        return f.track(FaultProxy.start(a.port())).mode(FaultProxy.Mode.REFUSE);
    }

    @Test
    void aStaticFallbackAnswersWhenAttemptsFailAndWhileTheBreakerIsOpen() throws Exception {
        FaultProxy down = refusing();
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(down.uri()).outlierDetection(OutlierDetection.disabled())
                        .retry(RetryPolicy.builder().maxAttempts(2).backoff(Duration.ZERO, Duration.ZERO))
                        .circuitBreaker(CircuitBreakerPolicy.builder().failureThreshold(2).openFor(Duration.ofSeconds(30)))
                        .fallback(Fallback.response(200, Map.of("Content-Type", "application/json", "X-Fallback", "static"),
                                "{\"items\":[]}")))
                .route(Route.prefix("/").to("u")));
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = f.get(g, "/items");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"items\":[]}");
            assertThat(r.headers().firstValue("X-Fallback")).hasValue("static");
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        }
        // two attempts failed, the breaker opened, the rest never touched the network
        assertThat(f.attempts).hasSize(2);
    }

    @Test
    void aHandlerFallbackOnARoute() throws Exception {
        FaultProxy down = refusing();
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(down.uri()).retry(RetryPolicy.none()))
                .route(Route.prefix("/").to("u").fallback(Fallback.handler(ex -> {
                    ex.setStatusCode(203);
                    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                    ex.getResponseSender().send("from code for " + ex.getRequestPath());
                }))));
        HttpResponse<String> r = f.get(g, "/p");
        assertThat(r.statusCode()).isEqualTo(203);
        assertThat(r.body()).isEqualTo("from code for /p");
    }

    @Test
    void anotherUpstreamGetsTheRequestWithItsBody() throws Exception {
        FaultProxy down = refusing();
        AtomicInteger count = new AtomicInteger();
        TestBackend spare = f.backend("spare", count, n -> 0);
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(down.uri()).retry(RetryPolicy.none()).fallback(Fallback.upstream("spare")))
                .upstream(Upstream.builder("spare").endpoint(spare.uri()))
                .route(Route.prefix("/").to("u")));
        byte[] body = bytes(20_000);
        HttpResponse<String> r = f.send(g, "POST", "/orders", body);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(expectedBody("spare", body));
        assertThat(count.get()).isEqualTo(1);
    }

    @Test
    void anUpstreamAnswerThatCountsAsFailureIsReplacedWhenAttemptsAreExhausted() throws Exception {
        AtomicInteger count = new AtomicInteger();
        TestBackend a = f.backend("a", count, n -> 503);
        Gateway g = f.start(Gateway.builder()
                .upstream(Upstream.builder("u").endpoint(a.uri()).retry(RetryPolicy.builder().maxAttempts(2)
                                .backoff(Duration.ZERO, Duration.ZERO))
                        .fallback(Fallback.response(200, Map.of(), "fallback")))
                .route(Route.prefix("/").to("u")));
        HttpResponse<String> r = f.get(g, "/x");
        assertThat(r.body()).isEqualTo("fallback");
        assertThat(count.get()).isEqualTo(2);
    }

    @Test
    void anUnknownFallbackUpstreamFailsTheBuild() {
        assertThatThrownBy(() -> Gateway.builder()
                .upstream(Upstream.builder("u").endpoint("http://127.0.0.1:1"))
                .route(Route.prefix("/").to("u").fallback(Fallback.upstream("nope")))
                .build())
                .hasMessage("route /**: fallback upstream 'nope' is not defined (known: u)");
        assertThatThrownBy(() -> Fallback.response(42, Map.of(), "x")).hasMessage("fallback.status: 42 (expected: 100..599)");
    }
}
