package dev.tollgate.examples.standalone;

import dev.tollgate.middleware.logging.Correlation;
import dev.tollgate.middleware.tracing.TraceIds;
import io.micrometer.core.instrument.MeterRegistry;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import dev.tollgate.Gateway;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.middleware.logging.LogFormat;
import dev.tollgate.middleware.logging.LogShipper;
import dev.tollgate.middleware.logging.LogShippingAppender;
import dev.tollgate.middleware.logging.RequestLogging;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;

/**
 * The standalone gateway's logs, from the environment:
 *
 * <table>
 *   <caption>Variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>LOG_FORMAT</td><td>text</td><td>{@code text} or {@code json}, for the console and the access,
 *       slow and error-summary lines (read by logback.xml too)</td></tr>
 *   <tr><td>LOG_LEVEL</td><td>INFO</td><td>the root level (read by logback.xml)</td></tr>
 *   <tr><td>ACCESS_LOG_ENABLED</td><td>true</td><td>one line per request on {@code tollgate.access}</td></tr>
 *   <tr><td>LOG_SLOW_REQUEST_THRESHOLD</td><td>1s</td><td>requests slower than this are logged with their
 *       timing breakdown on {@code tollgate.slow}; {@code 0} turns it off</td></tr>
 *   <tr><td>LOG_INGEST_ENABLED</td><td>false</td><td>also ship every log line to {@code LOG_INGEST_URL}</td></tr>
 *   <tr><td>LOG_INGEST_URL</td><td>unset</td><td>the HTTP ingest endpoint (gzip NDJSON POSTs); required
 *       when shipping is enabled</td></tr>
 * </table>
 */
final class LoggingEnv {

    /** The name of the shipping appender on logback's root logger. */
    static final String INGEST_APPENDER = "tollgate-ingest";

    private LoggingEnv() {
    }

    /**
     * Adds the request logs to {@code gateway} and, when enabled, log shipping to logback's root logger.
     *
     * @throws ConfigException naming the variable that is wrong
     */
    static void apply(EnvConfig env, Gateway.Builder gateway, MeterRegistry registry) {
        LogFormat format = format(env);
        RequestLogging.Builder logs = RequestLogging.builder().format(format)
                .accessLog(env.bool("ACCESS_LOG_ENABLED", true))
                // the tracing middleware's trace ID when tracing is on, else the client's traceparent
                .correlation(Correlation.traceIdFrom(exchange -> TraceIds.traceId(exchange).orElse(null)));
        if (registry != null) {
            logs.meterRegistry(registry);
        }
        Duration slow = env.duration("LOG_SLOW_REQUEST_THRESHOLD", Duration.ofSeconds(1));
        if (!slow.isZero()) {
            env.apply("LOG_SLOW_REQUEST_THRESHOLD", () -> logs.slowThreshold(slow));
        }
        LogShipper shipper = env.bool("LOG_INGEST_ENABLED", false) ? shipper(env, registry) : null;
        RequestLogging logging = logs.build();
        gateway.use(logging.middleware()).listener(logging);
        if (shipper != null) {
            attach(shipper);
        }
    }

    private static LogFormat format(EnvConfig env) {
        String v = env.value("LOG_FORMAT");
        if (v == null || v.equals("text")) {
            return LogFormat.TEXT;
        }
        if (v.equals("json")) {
            return LogFormat.JSON;
        }
        throw new ConfigException("LOG_FORMAT: '" + v + "' (expected: text or json)");
    }

    private static LogShipper shipper(EnvConfig env, MeterRegistry registry) {
        String url = env.value("LOG_INGEST_URL");
        if (url == null) {
            throw new ConfigException("LOG_INGEST_URL: not set (expected: the ingest's http or https URL, "
                    + "since LOG_INGEST_ENABLED is true)");
        }
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext)) {
            throw new ConfigException("LOG_INGEST_ENABLED: log shipping needs logback as the slf4j backend");
        }
        LogShipper[] built = new LogShipper[1];
        env.apply("LOG_INGEST_URL", () -> {
            LogShipper.Builder b = LogShipper.builder(URI.create(url));
            if (registry != null) {
                b.meterRegistry(registry);
            }
            built[0] = b.build();
        });
        return built[0];
    }

    /** Ships everything the root logger sees, beside the console; replaces an earlier shipping appender. */
    private static void attach(LogShipper shipper) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> previous = root.getAppender(INGEST_APPENDER);
        if (previous != null) {
            root.detachAppender(previous);
            previous.stop();
        }
        LogShippingAppender appender = LogShippingAppender.of(shipper);
        appender.setName(INGEST_APPENDER);
        appender.setContext(context);
        appender.start();
        root.addAppender(appender);
    }
}
