package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.tollgate.Gateway;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.StaleBackend;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tollgate.middleware.logging.LoggingFixture.TRACEPARENT;
import static dev.tollgate.middleware.logging.LoggingFixture.TRACE_ID;
import static dev.tollgate.middleware.logging.LoggingFixture.get;
import static org.assertj.core.api.Assertions.assertThat;

class CorrelationIT {

    private static final Logger testLog = LoggerFactory.getLogger("test.handler");

    private final LoggingFixture fx = new LoggingFixture();
    private final LogCapture logs = fx.own(LogCapture.of(Level.DEBUG, "tollgate", "test"));
    private final AtomicInteger workers = new AtomicInteger();
    private final ExecutorService blocking = Executors.newFixedThreadPool(2,
            r -> new Thread(r, "blocking-worker-" + workers.incrementAndGet()));
    private final StaleBackend stale = StaleBackend.start();

    @AfterEach
    void close() throws Exception {
        fx.close();
        stale.backend().close();
        blocking.shutdownNow();
    }

    /** A middleware that does its work on a blocking pool, as a Redis- or JDBC-backed one would. */
    private Middleware blockingMiddleware() {
        return next -> exchange -> exchange.dispatch(Correlation.wrap(exchange, blocking), () -> {
            testLog.info("blocking work for {}", exchange.getRequestPath());
            try {
                next.handleRequest(exchange);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private Gateway gateway() {
        RequestLogging logging = fx.own(RequestLogging.builder().build());
        return fx.start(Gateway.builder().host("127.0.0.1").port(0).ioThreads(1)
                .upstream(Upstream.builder("s").endpoint(stale.backend().uri().toString()))
                .use(LoggingFixture.requestIds())
                .use(logging.middleware())
                .use(Middleware.onRequest(ex -> testLog.info("sync work for {}", ex.getRequestPath())))
                .use(blockingMiddleware())
                .listener(logging)
                .route(Route.prefix("/").id("all").to("s")));
    }

    @Test
    void everyLineOfARequestCarriesItsIdsAcrossAWorkerThreadAndARetry() throws Exception {
        Gateway gateway = gateway();
        assertThat(fx.send(get(gateway, "/warm-up").build()).statusCode()).isEqualTo(200);
        Await.until(() -> logs.messages(RequestLogging.ACCESS_LOGGER).size() == 1, "the warm-up's access line");
        stale.killReusedConnections(true);
        logs.clear();

        HttpResponse<String> r = fx.send(get(gateway, "/retried").header("X-Request-ID", "corr-1")
                .header("traceparent", TRACEPARENT).build());
        assertThat(r.body()).isEqualTo("got 0");
        Await.until(() -> logs.messages(RequestLogging.ACCESS_LOGGER).size() == 1, "the access line");

        List<ILoggingEvent> lines = logs.events();
        assertThat(lines).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.equals("sync work for /retried"))
                .anyMatch(m -> m.equals("blocking work for /retried"))
                .anyMatch(m -> m.startsWith("attempt 1 to s ") && m.contains("UPSTREAM_RESET"))
                .anyMatch(m -> m.startsWith("attempt 2 to s ") && m.contains("RESPONSE 200"))
                .anyMatch(m -> m.startsWith("GET /retried 200 ") && m.contains(" retries=1 "));
        for (ILoggingEvent e : lines) {
            assertThat(e.getMDCPropertyMap()).as(e.getThreadName() + ": " + e.getFormattedMessage())
                    .containsEntry(Correlation.REQUEST_ID, "corr-1").containsEntry(Correlation.TRACE_ID, TRACE_ID);
        }
        assertThat(lines).filteredOn(e -> e.getFormattedMessage().startsWith("blocking work"))
                .extracting(ILoggingEvent::getThreadName).allMatch(t -> t.startsWith("blocking-worker-"));
        assertThat(lines).filteredOn(e -> e.getFormattedMessage().startsWith("sync work"))
                .extracting(ILoggingEvent::getThreadName).allMatch(t -> t.startsWith("tollgate"));

        // nothing stays behind on the threads that served it
        for (int i = 0; i < 2; i++) {
            assertThat(blocking.submit(() -> MDC.getCopyOfContextMap()).get(5, TimeUnit.SECONDS)).isNullOrEmpty();
        }
    }

    @Test
    void concurrentRequestsNeverSeeEachOthersIds() throws Exception {
        Gateway gateway = gateway();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String trace = String.format("00-%032x-00f067aa0ba902b7-01", i + 1);
            all.add(fx.client.sendAsync(get(gateway, "/r" + i).header("X-Request-ID", "id-" + i).header("traceparent", trace)
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        Await.until(() -> logs.messages(RequestLogging.ACCESS_LOGGER).size() == 20, "20 access lines");
        List<ILoggingEvent> lines = logs.events(e -> e.getLoggerName().startsWith("test.")
                || e.getLoggerName().equals(RequestLogging.ACCESS_LOGGER));
        assertThat(lines).hasSize(60);
        for (ILoggingEvent e : lines) {
            String m = e.getFormattedMessage();
            int n = Integer.parseInt(m.replaceAll("^.*/r(\\d+).*$", "$1"));
            Map<String, String> mdc = e.getMDCPropertyMap();
            assertThat(mdc).as(m).containsEntry(Correlation.REQUEST_ID, "id-" + n)
                    .containsEntry(Correlation.TRACE_ID, String.format("%032x", n + 1));
        }
    }

    @Test
    void aTraceIdAccessorTakesPrecedenceAndTheHeaderIsTheFallback() throws Exception {
        Correlation fromHook = Correlation.traceIdFrom(ex -> ex.getRequestHeaders().getFirst("X-Test-Trace"));
        RequestLogging logging = fx.own(RequestLogging.builder().correlation(fromHook).build());
        Gateway gateway = fx.start(Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("s").endpoint(stale.backend().uri().toString()))
                .use(LoggingFixture.requestIds()).use(logging.middleware()).listener(logging)
                .route(Route.prefix("/").id("all").to("s")));
        fx.send(get(gateway, "/a").header("X-Test-Trace", "from-the-hook").header("traceparent", TRACEPARENT).build());
        fx.send(get(gateway, "/b").header("traceparent", TRACEPARENT).build());
        Await.until(() -> logs.messages(RequestLogging.ACCESS_LOGGER).size() == 2, "two access lines");
        assertThat(logs.messages(RequestLogging.ACCESS_LOGGER))
                .anyMatch(m -> m.startsWith("GET /a ") && m.endsWith(" trace_id=from-the-hook"))
                .anyMatch(m -> m.startsWith("GET /b ") && m.endsWith(" trace_id=" + TRACE_ID));
    }

    @Test
    void aScopeRestoresWhatWasThere() {
        MDC.put(Correlation.REQUEST_ID, "outer");
        try {
            io.undertow.server.HttpServerExchange exchange = new io.undertow.server.HttpServerExchange(null);
            dev.tollgate.observe.RequestId.set(exchange, "inner");
            try (Correlation.Scope ignored = Correlation.fromTraceparent().open(exchange)) {
                assertThat(MDC.get(Correlation.REQUEST_ID)).isEqualTo("inner");
                assertThat(MDC.get(Correlation.TRACE_ID)).isNull();
            }
            assertThat(MDC.get(Correlation.REQUEST_ID)).isEqualTo("outer");
            Correlation.wrap(exchange, () -> assertThat(MDC.get(Correlation.REQUEST_ID)).isEqualTo("inner")).run();
            assertThat(MDC.get(Correlation.REQUEST_ID)).isEqualTo("outer");
        } finally {
            MDC.clear();
        }
    }
}
