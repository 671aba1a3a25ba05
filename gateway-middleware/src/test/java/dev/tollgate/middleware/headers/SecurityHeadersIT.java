package dev.tollgate.middleware.headers;

import dev.tollgate.Gateway;
import dev.tollgate.error.Problem;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.middleware.Raw;
import dev.tollgate.route.Route;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import io.undertow.Undertow;
import io.undertow.util.HttpString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.File;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Security headers through a real gateway, over plain HTTP and over TLS. */
class SecurityHeadersIT {

    private static final String HSTS = "max-age=31536000; includeSubDomains";
    private TestBackend backend;
    private Gateway gateway;
    private Undertow host;

    @BeforeEach
    void backend() {
        backend = TestBackend.builder()
                .route("/leaky", ex -> {
                    ex.getResponseHeaders().put(HttpString.tryFromString("Server"), "Apache/2.4.1 (Unix)");
                    ex.getResponseHeaders().put(HttpString.tryFromString("X-Powered-By"), "PHP/5.4.0");
                    ex.getResponseHeaders().put(HttpString.tryFromString("X-Frame-Options"), "ALLOWALL");
                    ex.getResponseHeaders().put(HttpString.tryFromString("Strict-Transport-Security"), "max-age=1");
                    ex.getResponseSender().send("ok");
                })
                .start();
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.stop();
        }
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    private Gateway.Builder gatewayWith(SecurityHeaders headers) {
        return Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .use(headers)
                .route(Route.prefix("/denied").use(Middleware.rejectIf(ex -> true, Problem.FORBIDDEN)).to("b"))
                .route(Route.prefix("/").to("b"));
    }

    @Test
    void defaultsOverPlainHttp() throws Exception {
        gateway = gatewayWith(SecurityHeaders.defaults()).build().start();
        for (String path : new String[] {"/echo", "/denied", "/leaky"}) {
            RawResponse r = Raw.send(gateway.port(), "GET", path);
            assertThat(r.headers().get("X-Content-Type-Options")).as(path).containsExactly("nosniff");
            assertThat(r.headers().get("X-Frame-Options")).as(path).containsExactly("DENY");
            assertThat(r.headers().get("Referrer-Policy")).as(path).containsExactly("no-referrer");
            assertThat(r.header("Content-Security-Policy")).as(path).isNull();
            assertThat(r.header("Permissions-Policy")).as(path).isNull();
            assertThat(r.header("Strict-Transport-Security")).as(path).isNull();
            assertThat(r.header("Server")).as(path).isNull();
            assertThat(r.header("X-Powered-By")).as(path).isNull();
        }
        assertThat(Raw.send(gateway.port(), "GET", "/denied").status()).isEqualTo(403);
        assertThat(Raw.send(gateway.port(), "GET", "/leaky").body()).isEqualTo("ok");
    }

    @Test
    void everyHeaderCanBeChangedOrSwitchedOff() throws Exception {
        gateway = gatewayWith(SecurityHeaders.builder()
                .contentSecurityPolicy("default-src 'none'; frame-ancestors 'none'")
                .permissionsPolicy("camera=(), geolocation=()")
                .referrerPolicy("strict-origin-when-cross-origin")
                .frameOptions(null)
                .contentTypeOptions(false)
                .removeHeaders("X-Powered-By")
                .build()).build().start();
        RawResponse r = Raw.send(gateway.port(), "GET", "/leaky");
        assertThat(r.header("Content-Security-Policy")).isEqualTo("default-src 'none'; frame-ancestors 'none'");
        assertThat(r.header("Permissions-Policy")).isEqualTo("camera=(), geolocation=()");
        assertThat(r.header("Referrer-Policy")).isEqualTo("strict-origin-when-cross-origin");
        assertThat(r.header("X-Frame-Options")).isEqualTo("ALLOWALL"); // switched off: the upstream's passes
        assertThat(r.header("X-Content-Type-Options")).isNull();
        assertThat(r.header("Server")).isEqualTo("Apache/2.4.1 (Unix)");
        assertThat(r.header("X-Powered-By")).isNull();
    }

    @Test
    void hstsOnlyOverTls(@TempDir Path dir) throws Exception {
        gateway = gatewayWith(SecurityHeaders.defaults()).build();
        char[] password = "changeit".toCharArray();
        KeyStore keys = selfSigned(dir, password);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        // a host application mounting the gateway's handler on its own TLS and plain listeners
        host = Undertow.builder()
                .addHttpsListener(0, "127.0.0.1", server)
                .addHttpListener(0, "127.0.0.1")
                .setHandler(gateway.handler())
                .build();
        host.start();
        int tlsPort = ((InetSocketAddress) host.getListenerInfo().get(0).getAddress()).getPort();
        int plainPort = ((InetSocketAddress) host.getListenerInfo().get(1).getAddress()).getPort();

        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keys);
        SSLContext clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tmf.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(clientTls).version(HttpClient.Version.HTTP_1_1).build();
        for (String path : new String[] {"/echo", "/leaky", "/denied"}) {
            HttpResponse<String> tls = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tlsPort + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(tls.headers().allValues("Strict-Transport-Security")).as(path).containsExactly(HSTS);
            assertThat(tls.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
            RawResponse plain = Raw.send(plainPort, "GET", path);
            assertThat(plain.header("Strict-Transport-Security")).as(path).isNull();
            assertThat(plain.header("X-Frame-Options")).as(path).isEqualTo("DENY");
        }
    }

    @Test
    void hstsSettings() {
        assertThat(SecurityHeaders.builder().hsts(Duration.ofDays(730), true, true).build().hsts())
                .isEqualTo("max-age=63072000; includeSubDomains; preload");
        assertThat(SecurityHeaders.builder().hsts(Duration.ofSeconds(60), false, false).build().hsts()).isEqualTo("max-age=60");
        assertThat(SecurityHeaders.builder().noHsts().build().hsts()).isNull();
        assertThat(SecurityHeaders.defaults().hsts()).isEqualTo(HSTS);
    }

    @Test
    void badSettingsFailFast() {
        assertThatThrownBy(() -> SecurityHeaders.builder().hsts(Duration.ZERO, true, false))
                .hasMessage("securityHeaders.hsts.maxAge: PT0S (expected: > 0)");
        assertThatThrownBy(() -> SecurityHeaders.builder().frameOptions("ALLOW-FROM x"))
                .hasMessage("securityHeaders.frameOptions: 'ALLOW-FROM x' (expected: DENY, SAMEORIGIN or null)");
        assertThatThrownBy(() -> SecurityHeaders.builder().contentSecurityPolicy("default-src 'self'\r\nSet-Cookie: x=1"))
                .hasMessageContaining("contains a control character");
        assertThatThrownBy(() -> SecurityHeaders.builder().permissionsPolicy(" "))
                .hasMessage("securityHeaders.permissionsPolicy: blank (expected: a value, or null for none)");
        assertThatThrownBy(() -> SecurityHeaders.builder().removeHeaders("Bad Name"))
                .hasMessage("securityHeaders.removeHeaders: 'Bad Name' (expected: an HTTP header name)");
    }

    /** A PKCS12 key store with a self-signed certificate for 127.0.0.1, made by the JDK's keytool. */
    private static KeyStore selfSigned(Path dir, char[] password) throws Exception {
        Path file = dir.resolve("tls.p12");
        String keytool = System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool";
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "gw", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", new String(password), "-keypass", new String(password))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password);
        }
        return ks;
    }
}
