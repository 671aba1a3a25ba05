package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * A logback appender that ships every event it receives, as a {@link JsonLogLayout} line, through a
 * {@link LogShipper}: to the console and the ingest at once when attached beside the console
 * appender. {@code append} formats the line on the logging thread and queues it, never waiting on
 * the network; stopping the appender (logback's shutdown hook, or {@code LoggerContext.stop()})
 * flushes within the shipper's flush timeout.
 *
 * <p>Configure it in code with {@link #of(LogShipper)}, or in {@code logback.xml} with {@code url},
 * {@code queueCapacity}, {@code batchLines} and {@code lingerMillis}. The shipper's own warnings are not
 * shipped (they would feed the outage they report).
 */
public final class LogShippingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    private final JsonLogLayout layout = new JsonLogLayout();
    private LogShipper shipper;
    private String url;
    private int queueCapacity = 10_000;
    private int batchLines = 500;
    private long lingerMillis = 1_000;

    /** For logback's configurator; set {@code url} before it starts. */
    public LogShippingAppender() {
    }

    /** An appender over a shipper built in code; it closes the shipper when stopped. */
    public static LogShippingAppender of(LogShipper shipper) {
        LogShippingAppender a = new LogShippingAppender();
        a.shipper = Objects.requireNonNull(shipper, "shipper");
        return a;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }

    public void setBatchLines(int batchLines) {
        this.batchLines = batchLines;
    }

    public void setLingerMillis(long lingerMillis) {
        this.lingerMillis = lingerMillis;
    }

    /** The shipper behind this appender (its counters), or null before start. */
    public LogShipper shipper() {
        return shipper;
    }

    @Override
    public void start() {
        if (shipper == null) {
            if (url == null || url.isBlank()) {
                addError("LogShippingAppender " + getName() + ": no url (expected: <url>http://ingest:port/path</url>)");
                return;
            }
            try {
                shipper = LogShipper.builder(URI.create(url.trim())).queueCapacity(queueCapacity).batchLines(batchLines)
                        .linger(Duration.ofMillis(lingerMillis)).build();
            } catch (IllegalArgumentException e) {
                addError("LogShippingAppender " + getName() + ": " + e.getMessage());
                return;
            }
        }
        layout.setContext(getContext());
        layout.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (event.getLoggerName().startsWith(LogShipper.LOGGER_NAME)) {
            return;
        }
        shipper.offer(layout.line(event));
    }

    @Override
    public void stop() {
        super.stop();
        if (shipper != null) {
            shipper.close();
        }
        layout.stop();
    }
}
