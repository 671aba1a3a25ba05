package dev.tollgate.tls;

import dev.tollgate.Gateway;
import dev.tollgate.Limits;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The gateway's listener over TLS (HTTP/2 through ALPN and HTTP/1.1), cleartext HTTP/2, drains over
 * TLS and certificate reloads, end to end with the JDK's HttpClient and SSLSocket.
 */
class TlsIT {

    private TestBackend backend;
    private Gateway gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private Gateway start(Gateway.Builder b) {
        gateway = b.drainTimeout(Duration.ofSeconds(10)).build().start();
        return gateway;
    }

    private static HttpClient client(HttpClient.Version version) throws Exception {
        return HttpClient.newBuilder().version(version).sslContext(TlsFiles.trusting("ca.pem"))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private URI https(String path) {
        return URI.create("https://127.0.0.1:" + gateway.port() + path);
    }

    private static Tls.Builder serverTls() {
        return Tls.pem(TlsFiles.file("server.pem"), TlsFiles.file("server.key"));
    }

    @Test
    void servesHttp2OverTlsThroughAlpnAndTellsTheBackendTheSchemeIsHttps() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()));

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(
                HttpRequest.newBuilder(https("/orders?x=1")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(backend.lastRequest().uri()).isEqualTo("/orders?x=1");
        assertThat(backend.lastRequest().header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(backend.lastRequest().header("Host")).isEqualTo("127.0.0.1:" + backend.port());
        assertThat(backend.lastRequest().headers().keySet()).noneMatch(h -> h.startsWith(":"));
    }

    @Test
    void servesHttp11OverTlsToClientsThatAskForIt() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()));

        HttpResponse<String> r = client(HttpClient.Version.HTTP_1_1).send(
                HttpRequest.newBuilder(https("/a")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(backend.lastRequest().header("X-Forwarded-Proto")).isEqualTo("https");
    }

    @Test
    void aClientWithoutAlpnGetsHttp11() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()));

        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) TlsFiles.trusting("ca.pem").getSocketFactory()
                .createSocket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET /plain HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(response).startsWith("HTTP/1.1 200");
            assertThat(s.getApplicationProtocol()).isEmpty();
        }
        assertThat(backend.lastRequest().uri()).isEqualTo("/plain");
    }

    @Test
    void withHttp2OffTlsClientsGetHttp11() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls().http2(false)));

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(
                HttpRequest.newBuilder(https("/a")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }

    @Test
    void handlersSeeTheRequestAsSecure() throws Exception {
        start(Gateway.builder().host("127.0.0.1").port(0).tls(serverTls())
                .route(Route.prefix("/").handler(ex -> ex.getResponseSender().send(ex.getRequestScheme() + " " + ex.isSecure()))));

        for (HttpClient.Version v : List.of(HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1)) {
            HttpResponse<String> r = client(v).send(HttpRequest.newBuilder(https("/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).as("over %s", v).isEqualTo("https true");
        }
    }

    @Test
    void proxiesARequestBodyOverHttp2ToAnHttp11Backend() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()));
        byte[] body = new byte[200_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + i % 26);
        }

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(https("/sink"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"bodyBytes\":200000");
        assertThat(backend.lastRequest().method()).isEqualTo("POST");
        assertThat(backend.lastRequest().header("Content-Length")).isEqualTo("200000");
    }

    @Test
    void aStreamedBodyWithoutLengthOverHttp2ReachesTheBackendWhole() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()));
        List<byte[]> parts = List.of(new byte[30_000], new byte[50_000], new byte[7]);

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(https("/sink"))
                        .POST(HttpRequest.BodyPublishers.ofByteArrays(parts)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"bodyBytes\":80007");
    }

    @Test
    void anOversizedBodyOverHttp2Gets413() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()).limits(Limits.builder().maxRequestBodyBytes(1000)));

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(https("/sink"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5000])).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("body-too-large");
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void tooManyHeadersOverHttp2Get431() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()).limits(Limits.builder().maxHeaderCount(20)));
        HttpRequest.Builder request = HttpRequest.newBuilder(https("/a")).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < 30; i++) {
            request.header("X-Many-" + i, "v");
        }

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(request.build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(431);
        assertThat(r.body()).contains("headers-too-large");
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void concurrentRequestsShareOneHttp2Connection() throws Exception {
        backend = TestBackend.start();
        java.util.Set<Integer> clientPorts = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger concurrent = new java.util.concurrent.atomic.AtomicInteger();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()).listener(new dev.tollgate.observe.GatewayListener() {
            @Override
            public void requestStarted(io.undertow.server.HttpServerExchange exchange) {
                clientPorts.add(exchange.getSourceAddress().getPort());
                concurrent.accumulateAndGet((int) gateway.inFlight(), Math::max);
            }
        }));
        HttpClient client = client(HttpClient.Version.HTTP_2);
        // the JDK client opens one connection per request until its first HTTP/2 connection stands
        assertThat(client.send(HttpRequest.newBuilder(https("/warm")).build(), HttpResponse.BodyHandlers.ofString()).version())
                .isEqualTo(HttpClient.Version.HTTP_2);
        clientPorts.clear();
        List<CompletableFuture<HttpResponse<String>>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            calls.add(client.sendAsync(HttpRequest.newBuilder(https("/delay/300?i=" + i)).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        }
        // several at once, all over one client connection (one source port)
        assertThat(concurrent.get()).isGreaterThan(1);
        assertThat(clientPorts).hasSize(1);
    }

    @Test
    void anEcCertificateWithASec1KeyServesToo() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(Tls.pem(TlsFiles.file("server-ec.pem"), TlsFiles.file("server-ec-sec1.key"))));

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(https("/a")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(TlsFiles.commonName(TlsFiles.presented(TlsFiles.trusting("ca.pem"), gateway.port()))).isEqualTo("server-ec");
    }

    @Test
    void aPkcs12KeystoreServes() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(Tls.pkcs12(TlsFiles.file("server.p12"), "changeit".toCharArray())));

        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(https("/a")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    @Test
    void onlyTheConfiguredProtocolIsSpoken() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls().protocols("TLSv1.2")));

        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) TlsFiles.trusting("ca.pem").getSocketFactory()
                .createSocket("127.0.0.1", gateway.port())) {
            s.startHandshake();
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
        }
        try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) TlsFiles.trusting("ca.pem").getSocketFactory()
                .createSocket("127.0.0.1", gateway.port())) {
            s.setEnabledProtocols(new String[]{"TLSv1.3"});
            s.setSoTimeout(10_000);
            assertThatThrownBy(s::startHandshake).isInstanceOf(IOException.class);
        }
    }

    @Test
    void cleartextHttp2ByUpgradeWhenAsked() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).http2Cleartext(true));
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/h2c");

        // the JDK client upgrades its first request's connection, then sends the next over HTTP/2
        HttpResponse<String> first = h2.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> second = h2.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(backend.lastRequest().header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(backend.lastRequest().header("Upgrade")).isNull();
        assertThat(backend.lastRequest().header("HTTP2-Settings")).isNull();
    }

    @Test
    void cleartextHttp2WithPriorKnowledgeWhenAsked() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).http2Cleartext(true));

        try (Socket s = new Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[]{0, 0, 0, 4, 0, 0, 0, 0, 0}); // an empty SETTINGS frame
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] frameHeader = new byte[9];
            in.readFully(frameHeader);
            assertThat(frameHeader[3]).as("the server's first frame is SETTINGS").isEqualTo((byte) 4);
        }
    }

    @Test
    void withoutCleartextHttp2TheListenerStaysHttp11() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()));
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

        HttpResponse<String> r = h2.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/a")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    }

    @Test
    void aDrainOverTlsFinishesRequestsInFlight() throws Exception {
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(serverTls()));
        int port = gateway.port();
        HttpClient client = client(HttpClient.Version.HTTP_2);
        CompletableFuture<HttpResponse<String>> h2 = client.sendAsync(HttpRequest.newBuilder(https("/delay/1500"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        CompletableFuture<HttpResponse<String>> h1 = client(HttpClient.Version.HTTP_1_1).sendAsync(HttpRequest.newBuilder(https("/delay/1500"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        Await.until(() -> gateway.inFlight() == 2, Duration.ofSeconds(10), "both requests in flight");

        boolean drained = gateway.stop(Duration.ofSeconds(15));

        assertThat(drained).isTrue();
        assertThat(h2.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(h1.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
    }

    @Test
    void aReplacedCertificateIsPresentedToNewHandshakesWithoutARestart(@TempDir Path dir) throws Exception {
        TlsFiles.copy(dir, "server.pem", "cert.pem", "server.key", "key.pem");
        backend = TestBackend.start();
        start(TestGateway.inFrontOf(backend.uri()).tls(Tls.pem(dir.resolve("cert.pem"), dir.resolve("key.pem"))
                .reloadInterval(Duration.ofMillis(100))));
        SSLContext trust = TlsFiles.trusting("ca.pem");
        assertThat(TlsFiles.commonName(TlsFiles.presented(trust, gateway.port()))).isEqualTo("server-one");

        // written in place, key first: for a moment the key does not match the certificate
        TlsFiles.copy(dir, "server2.key", "key.pem", "server2.pem", "cert.pem");
        // some file systems keep coarse modification times: make the change visible
        Files.setLastModifiedTime(dir.resolve("cert.pem"), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));

        Await.until(() -> {
            try {
                return TlsFiles.commonName(TlsFiles.presented(trust, gateway.port())).equals("server-two");
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(20), "a new handshake presents the replaced certificate");
        HttpResponse<String> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(https("/a")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }
}
