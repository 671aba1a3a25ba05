package dev.tollgate.examples.standalone;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.LayoutBase;
import dev.tollgate.middleware.logging.JsonLogLayout;

/**
 * The standalone runner's console layout: {@code format} {@code text} (the {@code pattern}) or
 * {@code json} ({@link JsonLogLayout}), set from {@code LOG_FORMAT} in {@code logback.xml}. One
 * appender whose layout is chosen at start, so logback's configuration has nothing unused to warn
 * about. {@link LoggingEnv} rejects other values of {@code LOG_FORMAT} before the gateway starts.
 */
public final class ConsoleLayout extends LayoutBase<ILoggingEvent> {

    private String format = "text";
    private String pattern = "%d %-5level [%thread] %logger{36} - %msg%n";
    private Layout<ILoggingEvent> delegate;

    public void setFormat(String format) {
        this.format = format;
    }

    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    /** The layout in use after start: a {@link PatternLayout} or a {@link JsonLogLayout}. */
    Layout<ILoggingEvent> delegate() {
        return delegate;
    }

    @Override
    public void start() {
        if ("json".equals(format)) {
            delegate = new JsonLogLayout();
        } else {
            if (!"text".equals(format)) {
                addWarn("LOG_FORMAT: '" + format + "' (expected: text or json); using text");
            }
            PatternLayout p = new PatternLayout();
            p.setPattern(pattern);
            delegate = p;
        }
        delegate.setContext(getContext());
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        if (delegate != null) {
            delegate.stop();
        }
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        return delegate.doLayout(event);
    }
}
