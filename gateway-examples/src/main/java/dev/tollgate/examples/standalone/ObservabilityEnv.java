package dev.tollgate.examples.standalone;

import dev.tollgate.Gateway;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.middleware.metrics.GatewayMetrics;
import dev.tollgate.middleware.metrics.PrometheusScrape;
import dev.tollgate.middleware.tracing.GatewayTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Metrics and tracing for the standalone gateway, from the environment.
 *
 * <table>
 *   <caption>Variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>METRICS_ENABLED</td><td>true</td><td>Prometheus metrics (gateway, JVM, process)</td></tr>
 *   <tr><td>METRICS_PATH</td><td>/metrics</td><td>scrape path, on ADMIN_PORT when that is set, else on GATEWAY_PORT</td></tr>
 *   <tr><td>OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)</td><td>unset</td><td>when set,
 *       traces are exported over OTLP there; every other standard {@code OTEL_*} variable applies
 *       (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_EXPORTER_OTLP_HEADERS, ...)</td></tr>
 *   <tr><td>TRACE_ID_HEADER</td><td>unset</td><td>response header carrying the trace ID, e.g. X-Trace-Id</td></tr>
 * </table>
 *
 * <p>Defaults that differ from the OpenTelemetry SDK's own: OTLP over {@code http/protobuf},
 * service name {@code tollgate}, no OTLP metrics or logs (metrics are scraped). The SDK is flushed
 * and closed when the gateway stops.
 */
final class ObservabilityEnv {

    private ObservabilityEnv() {
    }

    /**
     * Adds metrics and tracing to {@code gateway} as the variables say.
     *
     * @return the meter registry the gateway's metrics go to, or null when metrics are off (other
     *         components, such as the request logs, register their meters there too)
     * @throws ConfigException naming the variable
     */
    static MeterRegistry apply(EnvConfig env, Gateway.Builder gateway) {
        MeterRegistry registry = null;
        if (env.bool("METRICS_ENABLED", true)) {
            registry = metrics(env, gateway);
        }
        if (env.value("OTEL_EXPORTER_OTLP_ENDPOINT") != null || env.value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != null) {
            tracing(env, gateway);
        } else if (env.value("TRACE_ID_HEADER") != null) {
            throw new ConfigException("TRACE_ID_HEADER is set but tracing is off (expected: OTEL_EXPORTER_OTLP_ENDPOINT too)");
        }
        return registry;
    }

    private static MeterRegistry metrics(EnvConfig env, Gateway.Builder gateway) {
        String path = env.value("METRICS_PATH") == null ? "/metrics" : env.value("METRICS_PATH");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        env.apply("METRICS_PATH", () -> gateway.adminRoute(path, PrometheusScrape.of(registry)));
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        gateway.listener(GatewayMetrics.of(registry))
                .onClose(gc)
                .onClose(registry::close);
        return registry;
    }

    private static void tracing(EnvConfig env, Gateway.Builder gateway) {
        GatewayTracing.Builder tracing;
        OpenTelemetrySdk sdk;
        try {
            sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> otelProperties(env))
                    .disableShutdownHook() // the gateway closes it, after its drain
                    .build()
                    .getOpenTelemetrySdk();
        } catch (RuntimeException e) {
            // the SDK names the property (otel.traces.sampler); the operator set the variable
            throw new ConfigException("OTEL_*: " + e.getMessage(), e);
        }
        tracing = GatewayTracing.builder(sdk);
        String header = env.value("TRACE_ID_HEADER");
        if (header != null) {
            env.apply("TRACE_ID_HEADER", () -> tracing.traceIdHeader(header));
        }
        gateway.listener(tracing.build()).onClose(sdk);
    }

    /**
     * Our defaults, then every {@code OTEL_*} variable as the property it names
     * ({@code OTEL_SERVICE_NAME} becomes {@code otel.service.name}). The SDK still reads the process
     * environment itself; passing them here makes a test's map of variables count too.
     */
    static Map<String, String> otelProperties(EnvConfig env) {
        Map<String, String> props = new LinkedHashMap<>();
        String resource = env.value("OTEL_RESOURCE_ATTRIBUTES");
        if (resource == null || !resource.contains("service.name=")) {
            props.put("otel.service.name", "tollgate");
        }
        props.put("otel.exporter.otlp.protocol", "http/protobuf");
        props.put("otel.metrics.exporter", "none");
        props.put("otel.logs.exporter", "none");
        env.withPrefix("OTEL_").forEach((k, v) -> props.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v));
        return props;
    }
}
