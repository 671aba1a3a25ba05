package dev.tollgate.benchmarks.jmh;

import dev.tollgate.middleware.metrics.GatewayMetrics;
import dev.tollgate.middleware.tracing.GatewayTracing;
import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.route.Route;
import dev.tollgate.route.RouteMatch;
import dev.tollgate.upstream.Endpoint;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-request cost of the observability listeners, driven with the events of one proxied
 * request (start, one attempt, completion) on a reused exchange:
 * <ul>
 *   <li>{@code metrics}: {@code GatewayMetrics} into a Prometheus registry (cached meters);
 *   <li>{@code metricsUncachedTimer}: what the request timer alone would cost if its tags were
 *       built and the meter looked up in the registry on every request (the design it avoids);
 *   <li>{@code tracingSampled}: {@code GatewayTracing}, every span recorded and handed to a
 *       discarding exporter (the SDK's work, not the network's);
 *   <li>{@code tracingUnsampled}: the same with a ratio-0 sampler: context extracted and
 *       propagated, nothing recorded.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ObservabilityBenchmark {

    private static final Endpoint ENDPOINT = Endpoint.of("http://10.0.0.5:8080");

    private HttpServerExchange exchange;
    private HeaderMap upstreamHeaders;
    private PrometheusMeterRegistry registry;
    private GatewayMetrics metrics;
    private OpenTelemetrySdk sampledSdk;
    private OpenTelemetrySdk unsampledSdk;
    private GatewayTracing sampled;
    private GatewayTracing unsampled;

    @Setup
    public void setUp() {
        exchange = BenchExchanges.browserGet();
        exchange.setRequestScheme("http");
        Route route = Route.prefix("/api").id("orders").to("orders").build();
        exchange.putAttachment(RouteMatch.KEY, new RouteMatch(route, Map.of(), "/api/v1/orders/42"));
        upstreamHeaders = new HeaderMap();
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = GatewayMetrics.of(registry);
        sampledSdk = sdk(Sampler.alwaysOn());
        unsampledSdk = sdk(Sampler.parentBased(Sampler.traceIdRatioBased(0)));
        sampled = GatewayTracing.builder(sampledSdk).traceIdHeader("X-Trace-Id").build();
        unsampled = GatewayTracing.of(unsampledSdk);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sampledSdk.close();
        unsampledSdk.close();
        registry.close();
    }

    private static OpenTelemetrySdk sdk(Sampler sampler) {
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setSampler(sampler)
                        .addSpanProcessor(SimpleSpanProcessor.create(SpanExporter.composite())).build()) // no exporter: drops
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
    }

    @Benchmark
    public HttpServerExchange metrics() {
        metrics.requestStarted(exchange);
        metrics.attemptStarted(exchange, "orders", ENDPOINT, 1);
        metrics.attemptCompleted(exchange, "orders", ENDPOINT, 1, AttemptOutcome.RESPONSE, 200, 900_000);
        metrics.requestCompleted(exchange, 200, 1_000_000);
        return exchange;
    }

    @Benchmark
    public Timer metricsUncachedTimer() {
        Timer t = Timer.builder("tollgate.uncached").tags("route", "orders", "method", "GET", "status", "2xx",
                "outcome", "response").serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(50),
                Duration.ofMillis(500), Duration.ofSeconds(5)).register(registry);
        t.record(1_000_000, TimeUnit.NANOSECONDS);
        return t;
    }

    @Benchmark
    public HeaderMap tracingSampled() {
        return trace(sampled);
    }

    @Benchmark
    public HeaderMap tracingUnsampled() {
        return trace(unsampled);
    }

    private HeaderMap trace(GatewayTracing tracing) {
        tracing.requestStarted(exchange);
        tracing.attemptStarted(exchange, "orders", ENDPOINT, 1);
        tracing.upstreamRequest(exchange, "orders", ENDPOINT, 1, upstreamHeaders);
        tracing.attemptCompleted(exchange, "orders", ENDPOINT, 1, AttemptOutcome.RESPONSE, 200, 900_000);
        tracing.requestCompleted(exchange, 200, 1_000_000);
        return upstreamHeaders;
    }
}
