package dev.tollgate.tls;

import dev.tollgate.Gateway;
import dev.tollgate.testing.TestGateway;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.SSLSessionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xnio.Options;
import org.xnio.SslClientAuthMode;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway's connections to {@code https} upstreams: a custom trust store, a client certificate
 * for an upstream that requires one (mTLS), hostname verification, and the 502 problems when the
 * upstream cannot be trusted. The upstream is a real Undertow HTTPS server on an ephemeral port.
 */
class UpstreamTlsIT {

    private Undertow upstream;
    private Gateway gateway;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    private URI startUpstream(String certName, boolean requireClientCert) throws Exception {
        return startUpstream(certName, requireClientCert, false);
    }

    /**
     * An HTTPS upstream presenting {@code certName}; with {@code requireClientCert} it demands a certificate
     * from ca.pem; with {@code http2} it offers HTTP/2 through ALPN.
     */
    private URI startUpstream(String certName, boolean requireClientCert, boolean http2) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("k", dev.tollgate.tls.internal.Pem.privateKey(java.nio.file.Files.readAllBytes(TlsFiles.file(certName + ".key")), "key"),
                "pw".toCharArray(), dev.tollgate.tls.internal.Pem.certificates(
                        java.nio.file.Files.readAllBytes(TlsFiles.file(certName + ".pem")), "cert").toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "pw".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(java.nio.file.Files.newInputStream(TlsFiles.file("ca.pem"))));
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        upstream = Undertow.builder()
                .setIoThreads(1).setWorkerThreads(2)
                .setServerOption(io.undertow.UndertowOptions.ENABLE_HTTP2, http2)
                .addHttpsListener(0, "127.0.0.1", context)
                .setSocketOption(Options.SSL_CLIENT_AUTH_MODE, requireClientCert ? SslClientAuthMode.REQUIRED : SslClientAuthMode.NOT_REQUESTED)
                .setHandler(exchange -> {
                    if (exchange.getRequestPath().equals("/health")) {
                        healthChecks.incrementAndGet();
                    }
                    answer(exchange);
                })
                .build();
        upstream.start();
        int port = ((InetSocketAddress) upstream.getListenerInfo().get(0).getAddress()).getPort();
        return URI.create("https://localhost:" + port);
    }

    // answers with the subject of the client certificate, or "none"
    private static void answer(HttpServerExchange exchange) throws Exception {
        SSLSessionInfo ssl = exchange.getConnection().getSslSessionInfo();
        String client = "none";
        try {
            if (ssl != null) {
                client = ((X509Certificate) ssl.getPeerCertificates()[0]).getSubjectX500Principal().getName();
            }
        } catch (javax.net.ssl.SSLPeerUnverifiedException | io.undertow.server.RenegotiationRequiredException e) {
            // no client certificate (none asked for, or none given)
        }
        if (exchange.getRequestPath().equals("/protocol")) {
            // the body is read first: its size proves it arrived whole
            exchange.getRequestReceiver().receiveFullBytes((ex, body) ->
                    ex.getResponseSender().send(ex.getProtocol() + " " + body.length));
            return;
        }
        exchange.getResponseSender().send("client=" + client + " scheme=" + exchange.getRequestScheme());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private final java.util.concurrent.atomic.AtomicInteger healthChecks = new java.util.concurrent.atomic.AtomicInteger();

    private void startCheckedGateway(URI upstreamUri, UpstreamTls.Builder tls) {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(dev.tollgate.upstream.Upstream.builder("b").endpoint(upstreamUri.toString()).tls(tls)
                        .healthCheck(dev.tollgate.upstream.HealthCheck.http("/health").interval(Duration.ofMillis(500))
                                .timeout(Duration.ofMillis(500)).unhealthyThreshold(1).healthyThreshold(1)))
                .route(dev.tollgate.route.Route.prefix("/").to("b"))
                .build().start();
    }

    @Test
    void activeHealthChecksUseTheUpstreamsTls() throws Exception {
        URI uri = startUpstream("backend", true);
        startCheckedGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem"))
                .clientCertificate(TlsFiles.file("client.pem"), TlsFiles.file("client.key")));

        dev.tollgate.testing.Await.until(() -> healthChecks.get() >= 3, Duration.ofSeconds(20), "three health checks answered");
        assertThat(gateway.upstream("b").availableCount()).isEqualTo(1);
        assertThat(get("/").statusCode()).isEqualTo(200);
    }

    @Test
    void aHealthCheckThatCannotPresentTheClientCertificateMarksTheEndpointDown() throws Exception {
        URI uri = startUpstream("backend", true);
        startCheckedGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem")));

        dev.tollgate.testing.Await.until(() -> gateway.upstream("b").availableCount() == 0, Duration.ofSeconds(20),
                "the endpoint is marked down by its failing checks");
        assertThat(healthChecks.get()).isZero();
    }

    private void startGateway(URI upstreamUri, UpstreamTls.Builder tls) {
        Gateway.Builder b = Gateway.builder().host("127.0.0.1").port(0)
                .upstream(tls == null ? dev.tollgate.upstream.Upstream.builder("b").endpoint(upstreamUri.toString())
                        : dev.tollgate.upstream.Upstream.builder("b").endpoint(upstreamUri.toString()).tls(tls))
                .route(dev.tollgate.route.Route.prefix("/").to("b"));
        gateway = b.build().start();
    }

    @Test
    void presentsTheClientCertificateToAnUpstreamThatRequiresOne() throws Exception {
        URI uri = startUpstream("backend", true);
        startGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem"))
                .clientCertificate(TlsFiles.file("client.pem"), TlsFiles.file("client.key")));

        HttpResponse<String> r = get("/mtls");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("client=CN=gateway-client scheme=https");
    }

    /** A failed handshake is the upstream failing: 502 upstream-bad-response, as a problem document. */
    private void assertHandshakeRefused() throws Exception {
        HttpResponse<String> r = get("/");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"upstream-bad-response\"");
    }

    @Test
    void withoutTheClientCertificateTheHandshakeFailsAnd502Follows() throws Exception {
        startGateway(startUpstream("backend", true), UpstreamTls.trustStore(TlsFiles.file("ca.pem")));
        assertHandshakeRefused();
    }

    @Test
    void aCustomTrustStoreTrustsTheUpstream() throws Exception {
        URI uri = startUpstream("backend", false);
        startGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem")));

        HttpResponse<String> r = get("/");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("client=none scheme=https");
    }

    @Test
    void anUntrustedUpstreamCertificateGets502() throws Exception {
        startGateway(startUpstream("untrusted", false), UpstreamTls.trustStore(TlsFiles.file("ca.pem")));
        assertHandshakeRefused();
    }

    @Test
    void theSystemTrustStoreDoesNotTrustAPrivateCa() throws Exception {
        startGateway(startUpstream("backend", false), null);
        assertHandshakeRefused();
    }

    @Test
    void aCertificateForAnotherHostGets502UnlessHostnameVerificationIsOff() throws Exception {
        URI uri = startUpstream("wrong-host", false);
        startGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem")));
        assertHandshakeRefused();
        gateway.close();

        startGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem")).hostnameVerification(false));
        HttpResponse<String> r = get("/");
        assertThat(r.body()).isEqualTo("client=none scheme=https");
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void http2ToTheUpstreamWhenAsked() throws Exception {
        URI uri = startUpstream("backend", true, true);
        startGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem"))
                .clientCertificate(TlsFiles.file("client.pem"), TlsFiles.file("client.key")).http2(true));

        assertThat(get("/protocol").body()).isEqualTo("HTTP/2.0 0");
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/protocol"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[100_000])).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).isEqualTo("HTTP/2.0 100000");
        // and a streamed body without a length, which the gateway sends chunked to HTTP/1.1 upstreams
        HttpResponse<String> streamed = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/protocol"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[70_000])))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(streamed.statusCode()).isEqualTo(200);
        assertThat(streamed.body()).isEqualTo("HTTP/2.0 70000");
    }

    @Test
    void withoutHttp2TheUpstreamIsSpokenToInHttp11() throws Exception {
        URI uri = startUpstream("backend", false, true);
        startGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem")));

        assertThat(get("/protocol").body()).isEqualTo("HTTP/1.1 0");
    }

    @Test
    void aPkcs12ClientKeyStoreWorksForMtls() throws Exception {
        URI uri = startUpstream("backend", true);
        // server.p12 holds a certificate from the same CA: good enough as a client identity
        startGateway(uri, UpstreamTls.trustStore(TlsFiles.file("ca.pem"))
                .clientKeyStore(TlsFiles.file("server.p12"), "changeit".toCharArray()));

        HttpResponse<String> r = get("/");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("client=CN=server-one scheme=https");
    }
}
