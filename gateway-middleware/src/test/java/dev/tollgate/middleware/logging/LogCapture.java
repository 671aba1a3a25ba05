package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Captures the events of some loggers (with the MDC of the thread that logged them) for a test. */
final class LogCapture implements AutoCloseable {

    private final Map<Logger, Level> previous = new HashMap<>();
    private final List<ILoggingEvent> events = new ArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent e) {
            // the MDC and message are taken now, on the logging thread
            e.prepareForDeferredProcessing();
            synchronized (events) {
                events.add(e);
            }
        }
    };

    private LogCapture(Level level, String... loggers) {
        appender.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        appender.start();
        for (String name : loggers) {
            Logger l = (Logger) LoggerFactory.getLogger(name);
            previous.put(l, l.getLevel());
            l.setLevel(level);
            l.addAppender(appender);
        }
    }

    /** Captures {@code loggers} (and their children) at {@code level}. */
    static LogCapture of(Level level, String... loggers) {
        return new LogCapture(level, loggers);
    }

    List<ILoggingEvent> events() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    List<ILoggingEvent> events(Predicate<ILoggingEvent> which) {
        return events().stream().filter(which).toList();
    }

    /** Formatted messages of one logger, in order. */
    List<String> messages(String logger) {
        return events(e -> e.getLoggerName().equals(logger)).stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    void clear() {
        synchronized (events) {
            events.clear();
        }
    }

    @Override
    public void close() {
        previous.forEach((l, level) -> {
            l.detachAppender(appender);
            l.setLevel(level);
        });
        appender.stop();
    }
}
