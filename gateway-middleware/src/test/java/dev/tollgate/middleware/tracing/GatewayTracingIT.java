package dev.tollgate.middleware.tracing;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.RecordedRequest;
import dev.tollgate.testing.StaleBackend;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real gateway traced through the OpenTelemetry SDK into an in-memory exporter: the span tree
 * (server span, one client span per attempt, parent IDs), context in from the client and out to the
 * upstream, errors, sampling, and the trace-ID response header.
 */
class GatewayTracingIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final TestBackend backend = TestBackend.start("b");
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        backend.close();
    }

    private OpenTelemetrySdk sdk(Sampler sampler) {
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setSampler(sampler)
                        .addSpanProcessor(SimpleSpanProcessor.create(spans))
                        .build())
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build();
        closing.add(sdk);
        return sdk;
    }

    private Gateway start(Gateway.Builder b) {
        Gateway g = b.build().start();
        closing.add(0, g);
        return g;
    }

    private Gateway gateway(GatewayTracing tracing, URI upstream) {
        return start(Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("users").endpoint(upstream.toString())
                        // one attempt per request, whatever the status: the spans are counted
                        .retry(dev.tollgate.resilience.RetryPolicy.none()).circuitBreaker(dev.tollgate.resilience.CircuitBreakerPolicy.disabled()))
                .listener(tracing)
                // what a logging component does: read the IDs from the exchange
                .use(Middleware.onRequest(ex -> TraceIds.of(ex).ifPresent(ids ->
                        ex.getRequestHeaders().put(HttpString.tryFromString("X-Seen-Trace"), ids.traceId() + "/" + ids.spanId()))))
                .route(Route.path("/users/{id}").to("users"))
                .route(Route.prefix("/status").id("status").to("users")));
    }

    private HttpResponse<String> get(Gateway g, String path, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path)).timeout(TIMEOUT);
        if (headers.length > 0) {
            r.headers(headers);
        }
        return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<SpanData> awaitSpans(int count) {
        Await.until(() -> spans.getFinishedSpanItems().size() >= count, TIMEOUT, count + " finished spans");
        return spans.getFinishedSpanItems();
    }

    private static SpanData one(List<SpanData> all, SpanKind kind) {
        List<SpanData> of = all.stream().filter(s -> s.getKind() == kind).toList();
        assertThat(of).as("%s spans", kind).hasSize(1);
        return of.get(0);
    }

    /** The traceparent an upstream should get for this attempt span. */
    private static String traceparent(SpanData attempt) {
        return "00-" + attempt.getTraceId() + "-" + attempt.getSpanId() + "-" + attempt.getSpanContext().getTraceFlags().asHex();
    }

    private static <T> T attr(SpanData s, AttributeKey<T> key) {
        return s.getAttributes().get(key);
    }

    @Test
    void aRequestIsAServerSpanWithAClientSpanForItsAttemptAndTheUpstreamJoinsTheTrace() throws Exception {
        Gateway g = gateway(GatewayTracing.builder(sdk(Sampler.alwaysOn())).traceIdHeader("X-Trace-Id").build(), backend.uri());
        HttpResponse<String> r = get(g, "/users/42", "User-Agent", "tracing-test");
        assertThat(r.statusCode()).isEqualTo(200);

        List<SpanData> all = awaitSpans(2);
        assertThat(all).hasSize(2);
        SpanData server = one(all, SpanKind.SERVER);
        SpanData attempt = one(all, SpanKind.CLIENT);
        assertThat(server.getName()).isEqualTo("GET /users/{id}");
        assertThat(server.getParentSpanContext().isValid()).isFalse(); // a new trace
        assertThat(attr(server, GatewayTracing.HTTP_REQUEST_METHOD)).isEqualTo("GET");
        assertThat(attr(server, GatewayTracing.HTTP_ROUTE)).isEqualTo("/users/{id}");
        assertThat(attr(server, GatewayTracing.URL_PATH)).isEqualTo("/users/42");
        assertThat(attr(server, GatewayTracing.URL_SCHEME)).isEqualTo("http");
        assertThat(attr(server, GatewayTracing.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
        assertThat(attr(server, GatewayTracing.SERVER_PORT)).isEqualTo(g.port());
        assertThat(attr(server, GatewayTracing.CLIENT_ADDRESS)).isEqualTo("127.0.0.1");
        assertThat(attr(server, GatewayTracing.NETWORK_PROTOCOL_VERSION)).isEqualTo("1.1");
        assertThat(attr(server, GatewayTracing.USER_AGENT)).isEqualTo("tracing-test");
        assertThat(attr(server, GatewayTracing.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200);
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

        assertThat(attempt.getName()).isEqualTo("GET");
        assertThat(attempt.getTraceId()).isEqualTo(server.getTraceId());
        assertThat(attempt.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(attr(attempt, GatewayTracing.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
        assertThat(attr(attempt, GatewayTracing.SERVER_PORT)).isEqualTo(backend.port());
        assertThat(attr(attempt, GatewayTracing.URL_FULL)).isEqualTo("http://127.0.0.1:" + backend.port() + "/users/42");
        assertThat(attr(attempt, GatewayTracing.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200);
        assertThat(attr(attempt, GatewayTracing.HTTP_REQUEST_RESEND_COUNT)).isNull();
        assertThat(attempt.getStartEpochNanos()).isGreaterThanOrEqualTo(server.getStartEpochNanos());
        assertThat(attempt.getEndEpochNanos()).isLessThanOrEqualTo(server.getEndEpochNanos());

        RecordedRequest upstream = backend.lastRequest();
        assertThat(attempt.getSpanContext().isSampled()).isTrue();
        assertThat(upstream.headers().get("traceparent"))
                .containsExactly(traceparent(attempt));
        assertThat(r.headers().firstValue("X-Trace-Id")).contains(server.getTraceId());
        assertThat(upstream.header("X-Seen-Trace")).isEqualTo(server.getTraceId() + "/" + server.getSpanId());
    }

    @Test
    void anIncomingTraceIsContinuedWithItsStateAndBaggage() throws Exception {
        Gateway g = gateway(GatewayTracing.of(sdk(Sampler.alwaysOn())), backend.uri());
        assertThat(get(g, "/users/7", "traceparent", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01",
                "tracestate", "vendor=opaque", "baggage", "tenant=acme,user=alice").statusCode()).isEqualTo(200);

        List<SpanData> all = awaitSpans(2);
        SpanData server = one(all, SpanKind.SERVER);
        SpanData attempt = one(all, SpanKind.CLIENT);
        assertThat(server.getTraceId()).isEqualTo(CALLER_TRACE);
        assertThat(server.getParentSpanId()).isEqualTo(CALLER_SPAN);
        assertThat(server.getParentSpanContext().isRemote()).isTrue();
        assertThat(attempt.getParentSpanId()).isEqualTo(server.getSpanId());

        RecordedRequest upstream = backend.lastRequest();
        // the gateway's own attempt span is the upstream's parent now, not the caller's span
        assertThat(upstream.headers().get("traceparent")).containsExactly("00-" + CALLER_TRACE + "-" + attempt.getSpanId() + "-01");
        assertThat(upstream.headers().get("tracestate")).containsExactly("vendor=opaque");
        assertThat(upstream.headers().get("baggage")).singleElement()
                .satisfies(b -> assertThat(b.split(",")).containsExactlyInAnyOrder("tenant=acme", "user=alice"));
    }

    @Test
    void upstream5xxMarksBothSpansAsErrorsAndANoRouteRequestHasOnlyAServerSpan() throws Exception {
        Gateway g = gateway(GatewayTracing.of(sdk(Sampler.alwaysOn())), backend.uri());
        assertThat(get(g, "/status/503").statusCode()).isEqualTo(503);
        List<SpanData> all = awaitSpans(2);
        SpanData server = one(all, SpanKind.SERVER);
        SpanData attempt = one(all, SpanKind.CLIENT);
        assertThat(server.getName()).isEqualTo("GET /status/**");
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(attr(server, GatewayTracing.ERROR_TYPE)).isEqualTo("503");
        assertThat(attr(server, GatewayTracing.ROUTE_ID)).isEqualTo("status");
        assertThat(attempt.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(attr(attempt, GatewayTracing.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(503);

        spans.reset();
        assertThat(get(g, "/nowhere/1").statusCode()).isEqualTo(404);
        SpanData lone = one(awaitSpans(1), SpanKind.SERVER);
        assertThat(lone.getName()).isEqualTo("GET");
        assertThat(attr(lone, GatewayTracing.HTTP_ROUTE)).isNull();
        assertThat(attr(lone, GatewayTracing.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(404);
        assertThat(lone.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET); // a 4xx is not the server's error
        assertThat(spans.getFinishedSpanItems()).hasSize(1);
    }

    @Test
    void anUnreachableUpstreamIsAnErroredAttemptUnderA502() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Gateway g = gateway(GatewayTracing.of(sdk(Sampler.alwaysOn())), URI.create("http://127.0.0.1:" + dead));
        assertThat(get(g, "/users/1").statusCode()).isEqualTo(502);
        List<SpanData> all = awaitSpans(2);
        SpanData attempt = one(all, SpanKind.CLIENT);
        assertThat(attempt.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(attempt.getStatus().getDescription()).isEqualTo("connect_failed");
        assertThat(attr(attempt, GatewayTracing.ERROR_TYPE)).isEqualTo("connect_failed");
        assertThat(one(all, SpanKind.SERVER).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void eachAttemptOfARetriedRequestIsItsOwnClientSpanUnderTheServerSpan() throws Exception {
        // the backend closes a connection on its second request: the pooled connection the gateway
        // reuses is dead, and the body-less GET goes again on a fresh connection
        try (StaleBackend stale = StaleBackend.start()) {
            Gateway g = gateway(GatewayTracing.of(sdk(Sampler.alwaysOn())), stale.backend().uri());
            assertThat(get(g, "/users/1").statusCode()).isEqualTo(200);
            awaitSpans(2);
            spans.reset();
            stale.killReusedConnections(true);

            assertThat(get(g, "/users/2").statusCode()).isEqualTo(200);
            List<SpanData> all = awaitSpans(3);
            assertThat(all).hasSize(3);
            SpanData server = one(all, SpanKind.SERVER);
            List<SpanData> attempts = all.stream().filter(s -> s.getKind() == SpanKind.CLIENT)
                    .sorted((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos())).toList();
            assertThat(attempts).hasSize(2);
            assertThat(attempts).allSatisfy(a -> {
                assertThat(a.getTraceId()).isEqualTo(server.getTraceId());
                assertThat(a.getParentSpanId()).isEqualTo(server.getSpanId());
            });
            assertThat(attempts.get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(attr(attempts.get(0), GatewayTracing.ERROR_TYPE)).isEqualTo("upstream_reset");
            assertThat(attr(attempts.get(0), GatewayTracing.HTTP_REQUEST_RESEND_COUNT)).isNull();
            assertThat(attr(attempts.get(1), GatewayTracing.HTTP_REQUEST_RESEND_COUNT)).isEqualTo(1);
            assertThat(attr(attempts.get(1), GatewayTracing.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200);
            assertThat(attempts.get(1).getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

            // each try carried its own span as the upstream's parent
            List<RecordedRequest> tries = stale.backend().requests().stream().filter(r -> r.path().equals("/users/2")).toList();
            assertThat(tries).extracting(r -> r.header("traceparent")).containsExactly(
                    traceparent(attempts.get(0)), traceparent(attempts.get(1)));
        }
    }

    @Test
    void parentBasedRatioSamplingFollowsTheCallerAndStillPropagates() throws Exception {
        // ratio 0: a new trace is never recorded, a sampled caller's trace always is
        Gateway g = gateway(GatewayTracing.builder(sdk(Sampler.parentBased(Sampler.traceIdRatioBased(0))))
                .traceIdHeader("X-Trace-Id").build(), backend.uri());
        HttpResponse<String> r = get(g, "/users/1");
        assertThat(r.statusCode()).isEqualTo(200);
        String traceparent = backend.lastRequest().header("traceparent");
        // flags: not sampled (bit 0 clear); the SDK may set the W3C level-2 "random trace ID" bit
        assertThat(traceparent).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[02]");
        assertThat(r.headers().firstValue("X-Trace-Id")).contains(traceparent.substring(3, 35));

        assertThat(get(g, "/users/2", "traceparent", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01").statusCode())
                .isEqualTo(200);
        List<SpanData> all = awaitSpans(2);
        assertThat(all).hasSize(2).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(CALLER_TRACE));
        assertThat(backend.lastRequest().header("traceparent")).startsWith("00-" + CALLER_TRACE + "-").endsWith("-01");

        // an unsampled caller stays unsampled
        assertThat(get(g, "/users/3", "traceparent", "00-" + CALLER_TRACE.replace('a', 'b') + "-" + CALLER_SPAN + "-00")
                .statusCode()).isEqualTo(200);
        assertThat(backend.lastRequest().header("traceparent")).endsWith("-00");
        assertThat(spans.getFinishedSpanItems()).hasSize(2);
    }

    @Test
    void builderValidates() {
        OpenTelemetrySdk sdk = sdk(Sampler.alwaysOn());
        assertThatThrownBy(() -> GatewayTracing.builder(sdk).traceIdHeader("X Trace"))
                .hasMessage("tracing.traceIdHeader: 'X Trace' (expected: a header name such as X-Trace-Id)");
        assertThatThrownBy(() -> GatewayTracing.builder(sdk).instrumentationName(" "))
                .hasMessage("tracing.instrumentationName: ' ' (expected: not blank)");
    }
}
