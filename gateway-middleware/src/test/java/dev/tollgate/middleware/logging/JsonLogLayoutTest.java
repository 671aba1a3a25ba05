package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLogLayoutTest {

    private final LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    private final Logger logger = context.getLogger("app.orders");
    private final JsonLogLayout layout = new JsonLogLayout();

    @AfterEach
    void clear() {
        MDC.clear();
    }

    private LoggingEvent event(Level level, String message, Throwable t, Object... args) {
        LoggingEvent e = new LoggingEvent("fqcn", logger, level, message, t, args);
        e.setThreadName("worker-1");
        e.setTimeStamp(1_700_000_000_123L);
        return e;
    }

    @Test
    void anEventIsOneJsonObjectWithItsMdc() {
        MDC.put(Correlation.REQUEST_ID, "r-1");
        MDC.put(Correlation.TRACE_ID, "t\"1");
        String line = layout.line(event(Level.WARN, "order {} \"late\"\nagain", null, 42));
        assertThat(line).startsWith("{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"WARN\",\"logger\":\"app.orders\","
                        + "\"thread\":\"worker-1\",\"message\":\"order 42 \\\"late\\\"\\nagain\"")
                .contains(",\"requestId\":\"r-1\"").contains(",\"traceId\":\"t\\\"1\"").endsWith("}")
                .doesNotContain("\n");
        assertThat(layout.doLayout(event(Level.INFO, "x", null))).endsWith("}" + System.lineSeparator());
    }

    @Test
    void anExceptionGoesIntoItsOwnField() {
        String line = layout.line(event(Level.ERROR, "failed", new IllegalStateException("boom")));
        assertThat(line).contains(",\"exception\":\"java.lang.IllegalStateException: boom\\n\\tat ").doesNotContain("\n");
    }

    @Test
    void aJsonMessageIsMergedNotQuoted() {
        LoggingEvent e = event(Level.INFO, "{\"time\":\"t\",\"status\":200}", null);
        e.addMarker(LogFormat.JSON_MESSAGE);
        assertThat(layout.line(e)).isEqualTo("{\"level\":\"INFO\",\"logger\":\"app.orders\",\"thread\":\"worker-1\","
                + "\"time\":\"t\",\"status\":200}");
        // without the marker a message that looks like JSON is just text
        assertThat(layout.line(event(Level.INFO, "{\"a\":1}", null))).contains("\"message\":\"{\\\"a\\\":1}\"");
    }
}
