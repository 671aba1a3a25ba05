package dev.tollgate.examples.embedded;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.metrics.GatewayMetrics;
import dev.tollgate.middleware.metrics.PrometheusScrape;
import dev.tollgate.middleware.tracing.GatewayTracing;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Upstream;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.time.Duration;

/**
 * An embedded gateway with tracing exported over OTLP/HTTP and Prometheus metrics on an admin port.
 * The host owns the OpenTelemetry SDK: exporter, parent-based ratio sampler, resource and
 * propagators (W3C trace context and baggage) are set here, and the gateway closes (flushes) it
 * when it stops. Each response carries {@code X-Trace-Id}.
 */
public final class TracingExample {

    private TracingExample() {
    }

    /**
     * Builds (does not start) the example gateway.
     *
     * @param otlpEndpoint the collector's OTLP/HTTP base, e.g. {@code http://localhost:4318}
     * @param sampleRatio the share of new traces to record, 0 to 1; a caller's decision is always followed
     */
    public static Gateway build(int port, int adminPort, String usersUri, String otlpEndpoint, double sampleRatio) {
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setResource(Resource.getDefault().merge(Resource.create(
                                Attributes.of(AttributeKey.stringKey("service.name"), "tollgate-example"))))
                        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(sampleRatio)))
                        .addSpanProcessor(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
                                .setEndpoint(otlpEndpoint + "/v1/traces")
                                .setTimeout(Duration.ofSeconds(5))
                                .build()).build())
                        .build())
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return Gateway.builder()
                .port(port)
                .adminPort(adminPort)
                .upstream(Upstream.builder("users").endpoint(usersUri))
                .listener(GatewayMetrics.of(registry))
                .adminRoute("/metrics", PrometheusScrape.of(registry))
                .listener(GatewayTracing.builder(otel).traceIdHeader("X-Trace-Id").build())
                .onClose(otel)                       // flushes the spans still batched
                .onClose(registry::close)
                .route(Route.path("/users/{id}").to("users"))
                .build();
    }

    /** Runs against a local service and collector (e.g. the OpenTelemetry Collector on 4318) until interrupted. */
    public static void main(String[] args) throws InterruptedException {
        Gateway gateway = build(8000, 9000, "http://localhost:8081", "http://localhost:4318", 0.25).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> gateway.stop(Duration.ofSeconds(10))));
        Thread.currentThread().join();
    }
}
