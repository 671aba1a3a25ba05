package dev.tollgate.middleware.requestid;

import dev.tollgate.Gateway;
import dev.tollgate.error.Problem;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.Raw;
import dev.tollgate.observe.RequestId;
import dev.tollgate.route.Route;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Request IDs through a real gateway: kept or replaced, sent upstream and back, on problem responses too. */
class RequestIdsIT {

    private static final String UUID7 = "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    private final AtomicReference<String> seenByMiddleware = new AtomicReference<>();
    private TestBackend backend;
    private Gateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start(RequestIds ids) {
        backend = TestBackend.builder()
                .route("/upstream-id", ex -> {
                    ex.getResponseHeaders().put(HttpString.tryFromString("X-Request-ID"), "upstream-made-this-up");
                    ex.getResponseSender().send("ok");
                })
                .start();
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .use(ids)
                .use(Middleware.onRequest(ex -> seenByMiddleware.set(RequestId.of(ex).orElse("none"))))
                .route(Route.prefix("/denied").use(Middleware.rejectIf(ex -> true, Problem.FORBIDDEN)).to("b"))
                .route(Route.prefix("/").to("b"))
                .build().start();
    }

    @Test
    void aValidIncomingIdIsKeptAndTravelsBothWays() throws Exception {
        start(RequestIds.generate());
        for (String id : List.of("abc-123.DEF:9_x", "a".repeat(128), "0190f1c2-7d4e-7abc-8def-0123456789ab")) {
            RawResponse r = Raw.send(gateway.port(), "GET", "/echo", "X-Request-ID: " + id);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers().get("X-Request-ID")).containsExactly(id);
            assertThat(backend.lastRequest().headers().get("X-Request-ID")).containsExactly(id);
            assertThat(seenByMiddleware.get()).isEqualTo(id);
        }
    }

    @Test
    void anInvalidIncomingIdIsReplaced() throws Exception {
        start(RequestIds.generate());
        List<String[]> attempts = List.of(
                new String[] {"X-Request-ID: " + "a".repeat(129)},
                new String[] {"X-Request-ID: has space"},
                new String[] {"X-Request-ID: <script>alert(1)</script>"},
                new String[] {"X-Request-ID: quote\"d"},
                new String[] {"X-Request-ID: caf\u00e9"},
                new String[] {"X-Request-ID: a,b"},
                new String[] {"X-Request-ID:"},
                new String[] {"X-Request-ID: one", "X-Request-ID: two"});
        for (String[] headers : attempts) {
            RawResponse r = Raw.send(gateway.port(), "GET", "/echo", headers);
            assertThat(r.status()).as(String.join(" / ", headers)).isEqualTo(200);
            String id = r.header("X-Request-ID");
            assertThat(id).as(String.join(" / ", headers)).matches(UUID7);
            assertThat(r.headers().get("X-Request-ID")).hasSize(1);
            assertThat(backend.lastRequest().headers().get("X-Request-ID")).containsExactly(id);
            assertThat(seenByMiddleware.get()).isEqualTo(id);
        }
    }

    @Test
    void aCarriageReturnInTheIdNeverReachesAResponseHeader() throws Exception {
        start(RequestIds.generate());
        try (RawHttp raw = RawHttp.connect(gateway.port())) {
            raw.send("GET /echo HTTP/1.1\r\nHost: gw\r\nX-Request-ID: abc\rSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n");
            RawResponse r = raw.readResponse(Duration.ofSeconds(10));
            // Undertow's parser refuses a bare CR in a field value before any middleware runs
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.headers()).doesNotContainKey("Set-Cookie");
        }
    }

    @Test
    void withoutAnIncomingIdOneIsGeneratedPerRequestInOrder() throws Exception {
        start(RequestIds.generate());
        String first = Raw.send(gateway.port(), "GET", "/echo").header("X-Request-ID");
        String second = Raw.send(gateway.port(), "GET", "/echo").header("X-Request-ID");
        assertThat(first).matches(UUID7);
        assertThat(second).matches(UUID7);
        assertThat(first.compareTo(second)).isNegative();
        assertThat(backend.lastRequest().header("X-Request-ID")).isEqualTo(second);
    }

    @Test
    void theGatewaysIdReplacesOneTheUpstreamAnswers() throws Exception {
        start(RequestIds.generate());
        RawResponse r = Raw.send(gateway.port(), "GET", "/upstream-id", "X-Request-ID: mine");
        assertThat(r.body()).isEqualTo("ok");
        assertThat(r.headers().get("X-Request-ID")).containsExactly("mine");
    }

    @Test
    void aProblemResponseCarriesTheIdInHeaderAndBody() throws Exception {
        start(RequestIds.generate());
        RawResponse r = Raw.send(gateway.port(), "GET", "/denied", "X-Request-ID: trace-me-1");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.header("X-Request-ID")).isEqualTo("trace-me-1");
        assertThat(r.body()).contains("\"requestId\":\"trace-me-1\"");
        RawResponse generated = Raw.send(gateway.port(), "GET", "/denied");
        assertThat(generated.body()).contains("\"requestId\":\"" + generated.header("X-Request-ID") + "\"");
    }

    @Test
    void untrustedIncomingIdsAndAnotherHeaderName() throws Exception {
        start(RequestIds.builder().header("X-Correlation-ID").trustIncoming(false).build());
        RawResponse r = Raw.send(gateway.port(), "GET", "/echo", "X-Correlation-ID: client-chosen");
        assertThat(r.header("X-Correlation-ID")).matches(UUID7);
        assertThat(backend.lastRequest().header("X-Correlation-ID")).isEqualTo(r.header("X-Correlation-ID"));
        assertThat(r.header("X-Request-ID")).isNull();
    }

    @Test
    void badSettingsFailFast() {
        assertThatThrownBy(() -> RequestIds.builder().header("X Request"))
                .hasMessage("requestId.header: 'X Request' (expected: an HTTP header name)");
        assertThatThrownBy(() -> RequestIds.builder().maxLength(8))
                .hasMessage("requestId.maxLength: 8 (expected: 36..1024)");
    }
}
