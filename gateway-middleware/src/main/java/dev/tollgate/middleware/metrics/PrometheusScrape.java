package dev.tollgate.middleware.metrics;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Semaphore;

/**
 * The Prometheus scrape endpoint: mount it with
 * {@code Gateway.builder().adminRoute("/metrics", PrometheusScrape.of(registry))}. It answers GET and
 * HEAD with the registry's exposition in the format the {@code Accept} header asks for: Prometheus text
 * 0.0.4 by default, OpenMetrics text when accepted (Prometheus servers ask for it). Rendering runs
 * on a worker thread of the serving gateway, never the IO thread; at most two scrapes render at
 * once and a third gets 503 (a scraper retries on its next interval).
 */
public final class PrometheusScrape implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(PrometheusScrape.class);
    private static final int CONCURRENT_SCRAPES = 2;
    /** Prometheus text format 0.0.4: what a scraper gets unless it asks for OpenMetrics. */
    static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final Semaphore rendering = new Semaphore(CONCURRENT_SCRAPES);

    private PrometheusScrape(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    /** A scrape handler for {@code registry}. */
    public static PrometheusScrape of(PrometheusMeterRegistry registry) {
        return new PrometheusScrape(Objects.requireNonNull(registry, "registry"));
    }

    /** IO thread: checks the method, then hands the rendering to a worker. */
    @Override
    public void handleRequest(HttpServerExchange exchange) {
        boolean head = exchange.getRequestMethod().equals(Methods.HEAD);
        if (!head && !exchange.getRequestMethod().equals(Methods.GET)) {
            ProblemResponder.send(exchange, Problem.METHOD_NOT_ALLOWED.withDetail("the metrics endpoint answers GET and HEAD"),
                    Map.of("Allow", "GET, HEAD"));
            return;
        }
        if (!rendering.tryAcquire()) {
            ProblemResponder.send(exchange, Problem.UNAVAILABLE.withDetail("too many scrapes at once; try again"));
            return;
        }
        String accept = exchange.getRequestHeaders().getFirst(Headers.ACCEPT);
        String contentType = accept != null && accept.contains("application/openmetrics-text") ? OPEN_METRICS : TEXT;
        exchange.dispatch(exchange.getConnection().getWorker(), () -> {
            byte[] body;
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
                registry.scrape(out, contentType);
                body = out.toByteArray();
            } catch (IOException | RuntimeException e) {
                log.warn("rendering the metrics failed", e);
                ProblemResponder.send(exchange, Problem.INTERNAL.withDetail("the metrics could not be rendered"));
                return;
            } finally {
                rendering.release();
            }
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
            if (head) {
                exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
                exchange.endExchange();
            } else {
                exchange.getResponseSender().send(ByteBuffer.wrap(body));
            }
        });
    }
}
