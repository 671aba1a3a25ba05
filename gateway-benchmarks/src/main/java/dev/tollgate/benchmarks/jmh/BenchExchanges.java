package dev.tollgate.benchmarks.jmh;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.Protocols;

/** The realistic browser-like GET the in-process benchmarks share, on a {@link StubConnection}. */
final class BenchExchanges {

    private BenchExchanges() {
    }

    /** An HTTP/1.1 GET of {@code /api/v1/orders/42} with the usual browser and proxy headers. */
    static HttpServerExchange browserGet() {
        HttpServerExchange exchange = new HttpServerExchange(new StubConnection());
        exchange.setProtocol(Protocols.HTTP_1_1);
        exchange.setRequestMethod(Methods.GET);
        exchange.setRequestURI("/api/v1/orders/42");
        exchange.setRequestPath("/api/v1/orders/42");
        HeaderMap h = exchange.getRequestHeaders();
        h.put(Headers.HOST, "api.example.com");
        h.put(Headers.USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
        h.put(Headers.ACCEPT, "application/json, text/plain, */*");
        h.put(Headers.ACCEPT_ENCODING, "gzip, deflate, br");
        h.put(Headers.ACCEPT_LANGUAGE, "en-US,en;q=0.9,de;q=0.8");
        h.put(HttpString.tryFromString("X-Request-ID"), "6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b");
        h.put(Headers.CONNECTION, "keep-alive");
        h.put(Headers.X_FORWARDED_FOR, "203.0.113.7, 198.51.100.23");
        h.put(Headers.CONTENT_LENGTH, "0");
        return exchange;
    }
}
