package dev.tollgate.proxy;

import dev.tollgate.Gateway;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.RecordedRequest;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Header semantics of the proxy engine: hop-by-hop, forwarding, Host, Via, exact request targets. */
class HeadersIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private TestBackend backend;
    private Gateway gateway;

    @AfterEach
    void tearDown() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private void start(ProxyOptions.Builder proxy) {
        backend = TestBackend.builder()
                .route("/resp-hop", ex -> {
                    ex.getResponseHeaders()
                            .put(HttpString.tryFromString("Connection"), "X-Resp-Secret")
                            .put(HttpString.tryFromString("X-Resp-Secret"), "s3cr3t")
                            .put(HttpString.tryFromString("Keep-Alive"), "timeout=5")
                            .put(HttpString.tryFromString("Proxy-Authenticate"), "Basic realm=x")
                            .put(HttpString.tryFromString("Proxy-Connection"), "keep-alive")
                            .put(HttpString.tryFromString("Upgrade"), "websocket")
                            .put(HttpString.tryFromString("X-Resp-Keep"), "kept")
                            .add(HttpString.tryFromString("Set-Cookie"), "a=1")
                            .add(HttpString.tryFromString("Set-Cookie"), "b=2");
                    ex.getResponseSender().send("ok");
                })
                .start();
        gateway = TestGateway.inFrontOf(backend.uri())
                .proxy(proxy)
                .build().start();
    }

    private RawResponse send(String requestHead) throws IOException {
        try (RawHttp raw = RawHttp.connect(gateway.port())) {
            raw.send(requestHead);
            return raw.readResponse(TIMEOUT);
        }
    }

    private RecordedRequest get(String target, String... headers) throws IOException {
        StringBuilder req = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\n");
        boolean hasHost = false;
        for (String h : headers) {
            hasHost |= h.regionMatches(true, 0, "Host:", 0, 5);
            req.append(h).append("\r\n");
        }
        if (!hasHost) {
            req.append("Host: 127.0.0.1:").append(gateway.port()).append("\r\n");
        }
        RawResponse r = send(req.append("\r\n").toString());
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return backend.lastRequest();
    }

    @Test
    void hopByHopRequestHeadersAreRemoved() throws IOException {
        start(ProxyOptions.builder());
        RecordedRequest seen = get("/echo",
                "Connection: close, X-Secret",
                "Keep-Alive: timeout=5",
                "Proxy-Connection: keep-alive",
                "TE: trailers",
                "Upgrade: websocket",
                "Proxy-Authorization: Basic dXNlcjpwYXNz",
                "X-Secret: do-not-forward",
                "X-Kept: yes");
        assertThat(seen.headers()).doesNotContainKeys("Keep-Alive", "Proxy-Connection", "TE", "Upgrade",
                "Proxy-Authorization", "X-Secret");
        // the client's "close" is about its own connection, not the gateway's upstream connection
        assertThat(seen.header("Connection")).isNull();
        assertThat(seen.header("X-Kept")).isEqualTo("yes");
    }

    @Test
    void headerNamedInConnectionIsRemovedWhateverItsCase() throws IOException {
        start(ProxyOptions.builder());
        RecordedRequest seen = get("/echo", "Connection: keep-alive, x-secret-one,X-SECRET-TWO",
                "X-Secret-One: 1", "x-secret-two: 2", "X-Kept: yes");
        assertThat(seen.headers()).doesNotContainKeys("X-Secret-One", "X-Secret-Two", "Connection");
        assertThat(seen.header("X-Kept")).isEqualTo("yes");
    }

    @Test
    void endToEndHeadersAreKeptIncludingMultipleValues() throws IOException {
        start(ProxyOptions.builder());
        RecordedRequest seen = get("/echo", "X-Multi: a", "X-Multi: b", "Accept: text/plain",
                "Authorization: Bearer t0k3n", "Cookie: c=1", "X-Empty-Not: v");
        assertThat(seen.headers().get("X-Multi")).containsExactly("a", "b");
        assertThat(seen.header("Accept")).isEqualTo("text/plain");
        assertThat(seen.header("Authorization")).isEqualTo("Bearer t0k3n");
        assertThat(seen.header("Cookie")).isEqualTo("c=1");
    }

    @Test
    void hopByHopResponseHeadersAreRemovedIncludingThoseNamedInConnection() throws IOException {
        start(ProxyOptions.builder());
        RawResponse r = send("GET /resp-hop HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
        assertThat(r.headers()).doesNotContainKeys("X-Resp-Secret", "Keep-Alive", "Proxy-Authenticate",
                "Proxy-Connection", "Upgrade");
        assertThat(r.header("Connection")).isNull();
        assertThat(r.header("X-Resp-Keep")).isEqualTo("kept");
        assertThat(r.headers().get("Set-Cookie")).containsExactly("a=1", "b=2");
    }

    @Test
    void forwardingHeadersAreSetByTheGateway() throws IOException {
        start(ProxyOptions.builder());
        int port = gateway.port();
        RecordedRequest seen = get("/echo", "Host: api.example.com:" + port);
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("api.example.com:" + port);
        assertThat(seen.header("X-Forwarded-Port")).isEqualTo(Integer.toString(port));
        assertThat(seen.header("Forwarded"))
                .isEqualTo("for=127.0.0.1;host=\"api.example.com:" + port + "\";proto=http");
    }

    @Test
    void clientForwardingHeadersAreDroppedFromAnUntrustedPeer() throws IOException {
        start(ProxyOptions.builder());
        int port = gateway.port();
        RecordedRequest seen = get("/echo",
                "X-Forwarded-For: 6.6.6.6",
                "X-Forwarded-Proto: https",
                "X-Forwarded-Host: evil.example",
                "X-Forwarded-Port: 443",
                "X-Real-IP: 6.6.6.6",
                "Forwarded: for=6.6.6.6;proto=https");
        assertThat(seen.headers().get("X-Forwarded-For")).containsExactly("127.0.0.1");
        assertThat(seen.headers().get("X-Forwarded-Proto")).containsExactly("http");
        assertThat(seen.headers().get("X-Forwarded-Host")).containsExactly("127.0.0.1:" + port);
        assertThat(seen.headers().get("X-Forwarded-Port")).containsExactly(Integer.toString(port));
        assertThat(seen.headers().get("Forwarded"))
                .containsExactly("for=127.0.0.1;host=\"127.0.0.1:" + port + "\";proto=http");
        assertThat(seen.headers()).doesNotContainKey("X-Real-IP");
    }

    @Test
    void clientForwardingHeadersAreKeptAndExtendedFromATrustedPeer() throws IOException {
        start(ProxyOptions.builder().trustedProxies(List.of("127.0.0.1/32")));
        int port = gateway.port();
        RecordedRequest seen = get("/echo",
                "X-Forwarded-For: 6.6.6.6, 10.0.0.1",
                "X-Forwarded-Proto: https",
                "X-Forwarded-Host: shop.example",
                "X-Forwarded-Port: 443",
                "Forwarded: for=6.6.6.6;proto=https");
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("6.6.6.6, 10.0.0.1, 127.0.0.1");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("shop.example");
        assertThat(seen.header("X-Forwarded-Port")).isEqualTo("443");
        assertThat(seen.header("Forwarded"))
                .isEqualTo("for=6.6.6.6;proto=https, for=127.0.0.1;host=\"127.0.0.1:" + port + "\";proto=http");
    }

    @Test
    void hostIsRewrittenToTheEndpointByDefault() throws IOException {
        start(ProxyOptions.builder());
        RecordedRequest seen = get("/echo", "Host: client.example:1234");
        assertThat(seen.header("Host")).isEqualTo("127.0.0.1:" + backend.port());
        assertThat(seen.header("X-Forwarded-Host")).isEqualTo("client.example:1234");
    }

    @Test
    void hostIsPreservedWhenAsked() throws IOException {
        start(ProxyOptions.builder().hostHeader(ProxyOptions.HostHeader.PRESERVE));
        RecordedRequest seen = get("/echo", "Host: client.example:1234");
        assertThat(seen.headers().get("Host")).containsExactly("client.example:1234");
    }

    @Test
    void viaIsAddedOnRequestAndResponse() throws IOException {
        start(ProxyOptions.builder());
        RawResponse r = send("GET /echo HTTP/1.1\r\nHost: x\r\nVia: 1.0 edge\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().get("Via")).containsExactly("1.1 tollgate");
        assertThat(backend.lastRequest().headers().get("Via")).containsExactly("1.0 edge", "1.1 tollgate");
    }

    @Test
    void viaCanBeTurnedOff() throws IOException {
        start(ProxyOptions.builder().via(""));
        RawResponse r = send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers()).doesNotContainKey("Via");
        assertThat(backend.lastRequest().headers()).doesNotContainKey("Via");
    }

    @Test
    void queryStringIsPassedThroughByteExact() throws IOException {
        start(ProxyOptions.builder());
        String query = "a=1&b=%20x+y&c=%2F%3F%26&d=%E2%82%AC&e&f=&a=2&h=%41%7e~";
        RecordedRequest seen = get("/echo?" + query);
        assertThat(seen.query()).isEqualTo(query);
        assertThat(seen.path()).isEqualTo("/echo");
    }

    @Test
    void pathPercentEncodingIsPassedThrough() throws IOException {
        start(ProxyOptions.builder());
        assertThat(get("/a%20b").path()).isEqualTo("/a%20b");
        assertThat(get("/a%2Fb/c").path()).isEqualTo("/a%2Fb/c");
        assertThat(get("/x/%E2%82%AC;p=1?q=%2F").uri()).isEqualTo("/x/%E2%82%AC;p=1?q=%2F");
    }
}
