package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import dev.tollgate.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;

class LogShippingAppenderIT {

    private final TestIngest ingest = new TestIngest();
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final Logger app = context.getLogger("test.shipping");
    private final Logger shipperLog = context.getLogger(LogShipper.class);
    private final LogShippingAppender appender = new LogShippingAppender();

    @AfterEach
    void close() {
        app.detachAppender(appender);
        shipperLog.detachAppender(appender);
        app.setLevel(null);
        appender.stop();
        ingest.close();
    }

    @Test
    void configuredLikeInLogbackXmlItShipsEventsAsJsonLinesButNotTheShippersOwn() {
        appender.setContext(context);
        appender.setName("ingest");
        appender.setUrl(ingest.uri().toString());
        appender.setQueueCapacity(100);
        appender.setBatchLines(10);
        appender.setLingerMillis(20);
        appender.start();
        assertThat(appender.isStarted()).isTrue();
        app.setLevel(Level.INFO);
        app.addAppender(appender);
        shipperLog.addAppender(appender);

        MDC.put(Correlation.REQUEST_ID, "r-9");
        try {
            app.info("order {} shipped", 42);
        } finally {
            MDC.clear();
        }
        shipperLog.warn("a line about the ingest itself");
        app.warn("second");
        Await.until(() -> appender.shipper().shipped() == 2, "two lines shipped");
        assertThat(ingest.acceptedLines()).hasSize(2);
        assertThat(ingest.acceptedLines().get(0)).startsWith("{\"time\":\"")
                .contains("\"level\":\"INFO\",\"logger\":\"test.shipping\"").contains("\"message\":\"order 42 shipped\"")
                .contains("\"requestId\":\"r-9\"");
        assertThat(ingest.acceptedLines().get(1)).contains("\"message\":\"second\"");

        // stopping flushes and closes the shipper
        app.info("last words");
        appender.stop();
        assertThat(ingest.acceptedLines()).hasSize(3).last().asString().contains("\"message\":\"last words\"");
    }

    @Test
    void withoutAUrlItReportsAnErrorAndDoesNotStart() {
        appender.setContext(context);
        appender.setName("no-url");
        appender.start();
        assertThat(appender.isStarted()).isFalse();
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .anyMatch(s -> s.getMessage().equals("LogShippingAppender no-url: no url (expected: <url>http://ingest:port/path</url>)"));
        appender.setUrl("ftp://nowhere/");
        appender.start();
        assertThat(appender.isStarted()).isFalse();
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .anyMatch(s -> s.getMessage().equals("LogShippingAppender no-url: logShipping.url: 'ftp://nowhere/' "
                        + "(expected: an http or https URL with a host)"));
    }
}
