package dev.tollgate.middleware.logging;

import ch.qos.logback.classic.Level;
import dev.tollgate.Gateway;
import dev.tollgate.error.Problem;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.StaleBackend;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.undertow.util.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tollgate.middleware.logging.LoggingFixture.TRACEPARENT;
import static dev.tollgate.middleware.logging.LoggingFixture.TRACE_ID;
import static dev.tollgate.middleware.logging.LoggingFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestLoggingIT {

    private final LoggingFixture fx = new LoggingFixture();
    private final LogCapture logs = fx.own(LogCapture.of(Level.DEBUG, "tollgate"));
    private final TestBackend backend = fx.own(TestBackend.start());

    @AfterEach
    void close() throws Exception {
        fx.close();
    }

    private Gateway gateway(RequestLogging logging, Route.Builder... extraRoutes) {
        Gateway.Builder b = Gateway.builder().host("127.0.0.1").port(0).ioThreads(1)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .use(LoggingFixture.requestIds())
                .use(logging.middleware())
                .listener(logging)
                .route(Route.prefix("/api").id("api").stripPrefix(1).to("b"));
        for (Route.Builder r : extraRoutes) {
            b.route(r);
        }
        return fx.start(b);
    }

    private String onlyAccessLine() {
        Await.until(() -> !logs.messages(RequestLogging.ACCESS_LOGGER).isEmpty(), "the access line");
        List<String> lines = logs.messages(RequestLogging.ACCESS_LOGGER);
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    @Test
    void theTextAccessLineNamesEverything() throws Exception {
        RequestLogging logging = fx.own(RequestLogging.builder().build());
        Gateway gateway = gateway(logging);
        HttpResponse<String> r = fx.send(get(gateway, "/api/items?color=red").header("X-Request-ID", "req-1")
                .header("traceparent", TRACEPARENT).build());
        assertThat(r.statusCode()).isEqualTo(200);

        String line = onlyAccessLine();
        assertThat(line).startsWith("GET /api/items?color=red 200 route=api upstream=b endpoint=127.0.0.1:" + backend.port()
                + " client=127.0.0.1 in=0 out=" + r.body().getBytes().length + " duration_ms=");
        assertThat(line).containsPattern(" duration_ms=\\d+\\.\\d{3} upstream_ms=\\d+\\.\\d{3} retries=0 ")
                .endsWith(" request_id=req-1 trace_id=" + TRACE_ID);
        assertThat(upstreamMillis(line)).isPositive().isLessThanOrEqualTo(durationMillis(line));
    }

    @Test
    void theJsonAccessLineCountsBodyBytesBothWays() throws Exception {
        RequestLogging logging = fx.own(RequestLogging.builder().format(LogFormat.JSON).build());
        Gateway gateway = gateway(logging);
        byte[] body = new byte[1234];
        HttpResponse<String> r = fx.send(get(gateway, "/api/bytes/777").header("X-Request-ID", "req-2")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertThat(r.statusCode()).isEqualTo(200);
        String line = onlyAccessLine();
        assertThat(line).startsWith("{\"time\":\"").endsWith("}")
                .contains("\"request_id\":\"req-2\",\"trace_id\":null,\"client\":\"127.0.0.1\",\"method\":\"POST\","
                        + "\"path\":\"/api/bytes/777\",\"route\":\"api\",\"upstream\":\"b\",\"endpoint\":\"127.0.0.1:"
                        + backend.port() + "\",\"status\":200,\"bytes_in\":1234,\"bytes_out\":777,\"duration_ms\":")
                .contains("\"attempts\":1,\"retries\":0");
        // a chunked upload has no declared length: the bytes are counted as they pass
        logs.clear();
        r = fx.send(get(gateway, "/api/sink").POST(HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(new byte[5000]))).build());
        assertThat(r.body()).isEqualTo("{\"bodyBytes\":5000}");
        assertThat(onlyAccessLine()).contains("\"bytes_in\":5000,");
    }

    @Test
    void controlCharactersInThePathCannotBreakTheLine() throws Exception {
        RequestLogging logging = fx.own(RequestLogging.builder().build());
        Gateway gateway = gateway(logging);
        fx.send(get(gateway, "/api/a%0Ab%0D%0AGET%20/forged?q=%0A").build());
        String line = onlyAccessLine();
        assertThat(line).doesNotContain("\n").doesNotContain("\r").contains("/api/a\\u000ab\\u000d\\u000aGET /forged");
        assertThat(RequestLogging.plain(new StringBuilder(), "a\tb\u007f\u2028").toString()).isEqualTo("a\\u0009b\\u007f\\u2028");
    }

    @Test
    void aRequestThatNoRouteMatchedIsLoggedToo() throws Exception {
        RequestLogging logging = fx.own(RequestLogging.builder().build());
        Gateway gateway = gateway(logging);
        assertThat(fx.send(get(gateway, "/nowhere").build()).statusCode()).isEqualTo(404);
        assertThat(onlyAccessLine()).startsWith("GET /nowhere 404 route=- upstream=- endpoint=- client=127.0.0.1 in=0 out=")
                .contains(" retries=0 request_id=gen-1 trace_id=-");
    }

    @Test
    void aReplayedAttemptShowsAsARetry() throws Exception {
        StaleBackend stale = StaleBackend.start();
        fx.own(stale.backend());
        RequestLogging logging = fx.own(RequestLogging.builder().format(LogFormat.JSON)
                .slowThreshold(Duration.ofNanos(1)).build());
        Gateway gateway = fx.start(Gateway.builder().host("127.0.0.1").port(0).ioThreads(1)
                .upstream(Upstream.builder("s").endpoint(stale.backend().uri().toString()))
                .use(LoggingFixture.requestIds()).use(logging.middleware()).listener(logging)
                .route(Route.prefix("/").id("stale").to("s")));
        assertThat(fx.send(get(gateway, "/one").build()).statusCode()).isEqualTo(200);
        onlyAccessLine(); // the line comes when the exchange completes, just after the client has the response
        Await.until(() -> logs.messages(RequestLogging.SLOW_LOGGER).size() == 1, "the first request's slow line");
        stale.killReusedConnections(true);
        logs.clear();

        assertThat(fx.send(get(gateway, "/two").build()).body()).isEqualTo("got 0");
        assertThat(onlyAccessLine()).contains("\"route\":\"stale\"").contains("\"attempts\":2,\"retries\":1");
        Await.until(() -> !logs.messages(RequestLogging.SLOW_LOGGER).isEmpty(), "the slow line");
        assertThat(logs.messages(RequestLogging.SLOW_LOGGER).get(0))
                .containsPattern("\"attempts\":\\[\\{\"endpoint\":\"127.0.0.1:\\d+\",\"outcome\":\"UPSTREAM_RESET\",\"status\":0,"
                        + "\"ms\":[0-9.]+\\},\\{\"endpoint\":\"127.0.0.1:\\d+\",\"outcome\":\"RESPONSE\",\"status\":200,\"ms\":[0-9.]+\\}\\]\\}$");
        assertThat(logs.messages(RequestLogging.ATTEMPTS_LOGGER))
                .anyMatch(m -> m.startsWith("attempt 1 to s ") && m.contains(": UPSTREAM_RESET in "))
                .anyMatch(m -> m.startsWith("attempt 2 to s ") && m.contains(": RESPONSE 200 in "));
    }

    @Test
    void slowRequestsAreLoggedWithTheirBreakdownByGlobalAndRouteThreshold() throws Exception {
        RequestLogging logging = fx.own(RequestLogging.builder().slowThreshold(Duration.ofMillis(500))
                .slowThreshold("lenient", Duration.ofSeconds(30)).build());
        Gateway gateway = gateway(logging, Route.prefix("/lenient").id("lenient").stripPrefix(1).to("b"));

        assertThat(fx.send(get(gateway, "/api/delay/1").build()).statusCode()).isEqualTo(200);
        assertThat(fx.send(get(gateway, "/lenient/delay/800").build()).statusCode()).isEqualTo(200);
        assertThat(fx.send(get(gateway, "/api/delay/800").header("X-Request-ID", "slow-1").build()).statusCode()).isEqualTo(200);
        // one IO thread: the earlier requests' lines were all written before the third request's
        Await.until(() -> logs.messages(RequestLogging.ACCESS_LOGGER).size() == 3
                && logs.messages(RequestLogging.SLOW_LOGGER).stream().anyMatch(l -> l.contains("/api/delay/800")),
                "three access lines and the slow line");

        List<String> slow = logs.messages(RequestLogging.SLOW_LOGGER);
        assertThat(slow).noneMatch(l -> l.contains("/lenient/"));
        String fastAccess = logs.messages(RequestLogging.ACCESS_LOGGER).get(0);
        if (durationMillis(fastAccess) < 500) { // a loaded machine may really make it slow
            assertThat(slow).noneMatch(l -> l.contains("/api/delay/1 "));
        }
        List<String> lines = slow.stream().filter(l -> l.contains("/api/delay/800")).toList();
        assertThat(lines).hasSize(1);
        String line = lines.get(0);
        assertThat(line).startsWith("slow request GET /api/delay/800 200 route=api threshold_ms=500.000 total_ms=")
                .containsPattern(" attempts=\\[#1 127\\.0\\.0\\.1:\\d+ RESPONSE 200 \\d+\\.\\d{3}ms\\] request_id=slow-1 trace_id=-$");
        double total = number(line, "total_ms");
        double gatewayMs = number(line, "gateway_ms");
        double upstream = number(line, "upstream_ms");
        assertThat(total).isGreaterThanOrEqualTo(800);
        assertThat(upstream).isGreaterThanOrEqualTo(790);
        assertThat(gatewayMs + upstream).isCloseTo(total, org.assertj.core.data.Offset.offset(0.01));
        // the pieces come from different hooks (the engine times its attempt, the listener the
        // request), whose clocks are read microseconds apart: they agree to well under a millisecond
        assertThat(number(line, "before_upstream_ms")).isLessThanOrEqualTo(gatewayMs + 1.0);
        assertThat(logs.events(e -> e.getLoggerName().equals(RequestLogging.SLOW_LOGGER)).get(0).getLevel())
                .isEqualTo(Level.WARN);
    }

    @Test
    void headersAreRedactedAndBodiesCapturedWithoutChangingThem() throws Exception {
        TestBackend echo = fx.own(TestBackend.start("echo", ex -> ex.getRequestReceiver().receiveFullBytes((e, bytes) -> {
            e.getResponseHeaders().put(Headers.SET_COOKIE, "session=secret-cookie");
            e.getResponseSender().send(java.nio.ByteBuffer.wrap(bytes));
        })));
        RequestLogging logging = fx.own(RequestLogging.builder().format(LogFormat.JSON).logHeaders(true)
                .redact("X-Api-Key").logBodies(64).build());
        Gateway gateway = fx.start(Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("e").endpoint(echo.uri().toString()))
                .use(logging.middleware()).listener(logging)
                .route(Route.prefix("/").id("echo").to("e")));
        byte[] body = new byte[100_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        HttpResponse<byte[]> r = fx.client.send(get(gateway, "/upload").header("Authorization", "Bearer secret-token")
                        .header("Cookie", "sid=secret-sid").header("X-Api-Key", "secret-key").header("X-Visible", "shown")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.body()).isEqualTo(body);

        String line = onlyAccessLine();
        assertThat(line).doesNotContain("secret").contains("\"Authorization\":\"[redacted]\"")
                .contains("\"Cookie\":\"[redacted]\"").contains("\"X-Api-Key\":\"[redacted]\"")
                .contains("\"Set-Cookie\":\"[redacted]\"").contains("\"X-Visible\":\"shown\"")
                .contains("\"bytes_in\":100000,\"bytes_out\":100000");
        String first64 = new String(body, 0, 64);
        assertThat(line).contains("\"request_body\":\"" + first64 + "\",\"request_body_truncated\":true")
                .contains("\"response_body\":\"" + first64 + "\",\"response_body_truncated\":true");

        // a body under the limit is kept whole and not marked truncated
        logs.clear();
        fx.send(get(gateway, "/small").POST(HttpRequest.BodyPublishers.ofString("{\"q\":1}")).build());
        assertThat(onlyAccessLine()).contains("\"request_body\":\"{\\\"q\\\":1}\",\"request_body_truncated\":false")
                .contains("\"response_body\":\"{\\\"q\\\":1}\",\"response_body_truncated\":false");
    }

    @Test
    void errorsAreCountedByRouteAndKindAndSummarisedInsteadOfLoggedOneByOne() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RequestLogging logging = RequestLogging.builder().meterRegistry(registry)
                .errorSummaryInterval(Duration.ofSeconds(1)).accessLog(false).build();
        Gateway gateway = fx.start(Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString())
                        .retry(dev.tollgate.resilience.RetryPolicy.none()).circuitBreaker(dev.tollgate.resilience.CircuitBreakerPolicy.disabled()))
                // no breaker: every request tries the dead endpoint once and is counted as a connect failure
                .upstream(Upstream.builder("dead").endpoint("http://127.0.0.1:" + LoggingFixture.closedPort()).retry(dev.tollgate.resilience.RetryPolicy.none()).circuitBreaker(dev.tollgate.resilience.CircuitBreakerPolicy.disabled()))
                .use(logging.middleware()).listener(logging)
                .route(Route.prefix("/api").id("api").stripPrefix(1).to("b"))
                .route(Route.prefix("/dead").id("dead").to("dead"))
                .route(Route.prefix("/limited").id("limited").to("b")
                        .use(Middleware.rejectIf(ex -> true, Problem.TOO_MANY_REQUESTS))));
        for (int i = 0; i < 5; i++) {
            assertThat(fx.send(get(gateway, "/dead/x").build()).statusCode()).isEqualTo(502);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(fx.send(get(gateway, "/api/status/503").build()).statusCode()).isEqualTo(503);
        }
        for (int i = 0; i < 2; i++) {
            assertThat(fx.send(get(gateway, "/limited").build()).statusCode()).isEqualTo(429);
        }
        assertThat(fx.send(get(gateway, "/api/status/404").build()).statusCode()).isEqualTo(404);

        Await.untilAsserted(() -> {
            assertThat(count(registry, "dead", "connect_failure")).isEqualTo(5);
            assertThat(count(registry, "api", "upstream_5xx")).isEqualTo(3);
            assertThat(count(registry, "limited", "rejected")).isEqualTo(2);
        }, Duration.ofSeconds(5));
        assertThat(registry.find("tollgate.errors").tag("route", "api").tag("kind", "upstream_5xx").counters()).hasSize(1);
        assertThat(registry.find("tollgate.errors").counters()).hasSize(3); // the 404 is the client's, not an error

        logging.close(); // writes what the current window holds
        List<String> summaries = logs.messages(RequestLogging.ERRORS_LOGGER);
        assertThat(summaries).isNotEmpty().hasSizeLessThan(10).allMatch(s -> s.startsWith("errors in the last 1000 ms: "));
        assertThat(sum(summaries, "route=dead", "connect_failure")).isEqualTo(5);
        assertThat(sum(summaries, "route=api", "upstream_5xx")).isEqualTo(3);
        assertThat(sum(summaries, "route=limited", "rejected")).isEqualTo(2);
    }

    @Test
    void theSummaryComesByItselfAfterTheIntervalAndItsThreadEndsWhenQuiet() throws Exception {
        RequestLogging logging = fx.own(RequestLogging.builder().format(LogFormat.JSON)
                .errorSummaryInterval(Duration.ofMillis(200)).accessLog(false).build());
        Gateway gateway = gateway(logging);
        assertThat(fx.send(get(gateway, "/api/status/500").build()).statusCode()).isEqualTo(500);
        Await.until(() -> !logs.messages(RequestLogging.ERRORS_LOGGER).isEmpty(), "the summary");
        assertThat(logs.messages(RequestLogging.ERRORS_LOGGER).get(0))
                .matches("\\{\"time\":\"[^\"]+\",\"event\":\"error_summary\",\"interval_ms\":200,\"errors\":\\{\"api\":\\{\"upstream_5xx\":1\\}\\}\\}");
        Await.until(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("tollgate-error-summary")),
                "the summary thread to end after a quiet interval");
    }

    @Test
    void builderRejectsBadValuesWithTheFieldName() {
        assertThatThrownBy(() -> RequestLogging.builder().slowThreshold(Duration.ZERO))
                .hasMessage("logging.slowThreshold: PT0S (expected: > 0)");
        assertThatThrownBy(() -> RequestLogging.builder().slowThreshold("orders", Duration.ofMillis(-1)))
                .hasMessage("logging.slowThreshold[orders]: PT-0.001S (expected: > 0)");
        assertThatThrownBy(() -> RequestLogging.builder().logBodies(-1))
                .hasMessage("logging.bodyBytes: -1 (expected: 0..1048576)");
        assertThatThrownBy(() -> RequestLogging.builder().errorSummaryInterval(Duration.ofMillis(5)))
                .hasMessage("logging.errorSummaryInterval: PT0.005S (expected: 0 for off, or >= 100 ms)");
        assertThatThrownBy(() -> RequestLogging.builder().redact(" ")).hasMessage("logging.redact: blank header name");
    }

    @Test
    void millisHaveThreeDecimals() {
        assertThat(RequestLogging.millis(new StringBuilder(), 1_234_567_890L).toString()).isEqualTo("1234.567");
        assertThat(RequestLogging.millis(new StringBuilder(), 5_000L).toString()).isEqualTo("0.005");
        assertThat(RequestLogging.millis(new StringBuilder(), 45_000L).toString()).isEqualTo("0.045");
        assertThat(RequestLogging.millis(new StringBuilder(), -3L).toString()).isEqualTo("0.000");
    }

    private static double count(SimpleMeterRegistry registry, String route, String kind) {
        var c = registry.find("tollgate.errors").tag("route", route).tag("kind", kind).counter();
        return c == null ? 0 : c.count();
    }

    private static long sum(List<String> summaries, String route, String kind) {
        long total = 0;
        for (String s : summaries) {
            for (String part : s.substring(s.indexOf(':') + 1).split(";")) {
                if (part.trim().startsWith(route + " ")) {
                    Matcher m = Pattern.compile(" " + kind + "=(\\d+)").matcher(part);
                    if (m.find()) {
                        total += Long.parseLong(m.group(1));
                    }
                }
            }
        }
        return total;
    }

    private static double number(String line, String name) {
        Matcher m = Pattern.compile(" " + name + "=(\\d+\\.\\d{3})").matcher(line);
        assertThat(m.find()).as(name + " in " + line).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static double durationMillis(String line) {
        return number(line, "duration_ms");
    }

    private static double upstreamMillis(String line) {
        return number(line, "upstream_ms");
    }
}
