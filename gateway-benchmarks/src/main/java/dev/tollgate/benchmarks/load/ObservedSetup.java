package dev.tollgate.benchmarks.load;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.metrics.GatewayMetrics;
import dev.tollgate.middleware.metrics.PrometheusScrape;
import dev.tollgate.middleware.tracing.GatewayTracing;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;


/** All of observability on a gateway, as an operator would run it, minus the network of an exporter. */
final class ObservedSetup {

    private ObservedSetup() {
    }

    static void apply(Gateway.Builder b) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setSampler(Sampler.alwaysOn()) // the worst case: every request recorded
                        .addSpanProcessor(BatchSpanProcessor.builder(SpanExporter.composite()).build()) // exports to nothing
                        .build())
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build();
        b.listener(GatewayMetrics.of(registry))
                .adminRoute("/metrics", PrometheusScrape.of(registry))
                .listener(GatewayTracing.builder(otel).traceIdHeader("X-Trace-Id").build())
                .onClose(otel)
                .onClose(registry::close);
    }
}
