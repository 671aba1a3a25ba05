package dev.tollgate.examples.standalone;

import dev.tollgate.config.ConfigException;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standalone gateway's edge variables: request IDs, security headers, IP lists, CORS. */
class EdgeEnvIT {

    private static TestBackend backend;
    private StandaloneGateway running;

    @BeforeAll
    static void backend() {
        backend = TestBackend.start();
    }

    @AfterAll
    static void closeBackend() {
        backend.close();
    }

    @AfterEach
    void stop() {
        if (running != null) {
            running.gateway().close();
        }
    }

    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("GATEWAY_HOST", "127.0.0.1");
        env.put("GATEWAY_PORT", "0");
        env.put("GATEWAY_BACKEND_TARGET", backend.uri().toString());
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private void start(String... pairs) {
        running = StandaloneGateway.start(env(pairs));
    }

    private RawResponse send(String method, String... headers) throws IOException {
        StringBuilder sb = new StringBuilder(method).append(" /things HTTP/1.1\r\nHost: gw\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        try (RawHttp raw = RawHttp.connect(running.gateway().port())) {
            raw.send(sb.append("Connection: close\r\n\r\n").toString());
            return raw.readResponse(Duration.ofSeconds(10));
        }
    }

    @Test
    void requestIdsAndSecurityHeadersAreOnByDefaultAndCorsAndIpListsOff() throws Exception {
        start();
        RawResponse r = send("GET", "Origin: https://app.example.com");
        assertThat(r.status()).isEqualTo(200);
        String id = r.header("X-Request-ID");
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(backend.lastRequest().header("X-Request-ID")).isEqualTo(id);
        assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(r.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(r.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(r.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void switchesAndNames() throws Exception {
        start("SECURITY_HEADERS_ENABLED", "false", "REQUEST_ID_HEADER", "X-Correlation-ID");
        RawResponse r = send("GET", "X-Correlation-ID: abc-1");
        assertThat(r.header("X-Correlation-ID")).isEqualTo("abc-1");
        assertThat(r.header("X-Request-ID")).isNull();
        assertThat(r.header("X-Content-Type-Options")).isNull();
    }

    @Test
    void corsFromTheEnvironment() throws Exception {
        start("CORS_ALLOWED_ORIGINS", "https://app.example.com, https://*.example.org",
                "CORS_ALLOWED_METHODS", "GET,PUT", "CORS_ALLOWED_HEADERS", "Authorization,Content-Type",
                "CORS_ALLOW_CREDENTIALS", "true");
        long before = backend.requestCount();
        RawResponse pre = send("OPTIONS", "Origin: https://a.example.org", "Access-Control-Request-Method: PUT",
                "Access-Control-Request-Headers: authorization");
        assertThat(pre.status()).isEqualTo(204);
        assertThat(pre.header("Access-Control-Allow-Origin")).isEqualTo("https://a.example.org");
        assertThat(pre.header("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(pre.header("Access-Control-Allow-Methods")).isEqualTo("GET, PUT");
        assertThat(pre.header("X-Request-ID")).isNotNull();
        assertThat(pre.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(backend.requestCount()).isEqualTo(before);
        assertThat(send("OPTIONS", "Origin: https://example.org.evil.com", "Access-Control-Request-Method: PUT").status())
                .isEqualTo(403);
        RawResponse actual = send("GET", "Origin: https://app.example.com");
        assertThat(actual.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
    }

    @Test
    void ipListsFromTheEnvironment() throws Exception {
        start("IP_DENYLIST", "127.0.0.1, 2001:db8::/32");
        RawResponse denied = send("GET");
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.body()).contains("\"code\":\"ip-forbidden\"").contains("\"requestId\":\"" + denied.header("X-Request-ID") + "\"");
        running.gateway().close();
        start("IP_ALLOWLIST", "203.0.113.0/24", "TRUSTED_PROXIES", "127.0.0.0/8");
        assertThat(send("GET", "X-Forwarded-For: 203.0.113.9").status()).isEqualTo(200);
        assertThat(send("GET", "X-Forwarded-For: 198.51.100.1").status()).isEqualTo(403);
        running.gateway().close();
        // without trusted proxies the same forged header gains nothing
        start("IP_ALLOWLIST", "203.0.113.0/24");
        assertThat(send("GET", "X-Forwarded-For: 203.0.113.9").status()).isEqualTo(403);
    }

    @Test
    void badValuesNameTheVariable() {
        assertThatThrownBy(() -> start("IP_ALLOWLIST", "10.0.0.0/8,10.0.0.0/33"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("IP_ALLOWLIST='10.0.0.0/8,10.0.0.0/33': ipFilter.allow: cidr: '10.0.0.0/33' has prefix length"
                        + " out of range (expected: 0..32)");
        assertThatThrownBy(() -> start("IP_DENYLIST", "evil.example"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("IP_DENYLIST='evil.example': ipFilter.deny: ");
        assertThatThrownBy(() -> start("CORS_ALLOWED_ORIGINS", "https://app.example.com/"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("CORS_ALLOWED_ORIGINS='https://app.example.com/': cors.allowOrigins:");
        assertThatThrownBy(() -> start("CORS_ALLOWED_ORIGINS", "*", "CORS_ALLOW_CREDENTIALS", "true"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("CORS_ALLOWED_ORIGINS='*': cors: any origin (*) with allowCredentials(true)");
        assertThatThrownBy(() -> start("CORS_ALLOWED_ORIGINS", "https://a.example.com", "CORS_ALLOWED_METHODS", "GE T"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("CORS_ALLOWED_METHODS='GE T': ");
        assertThatThrownBy(() -> start("CORS_ALLOWED_ORIGINS", "https://a.example.com", "CORS_ALLOW_CREDENTIALS", "perhaps"))
                .isInstanceOf(ConfigException.class).hasMessage("CORS_ALLOW_CREDENTIALS: 'perhaps' is not a boolean (expected: true or false)");
        assertThatThrownBy(() -> start("SECURITY_HEADERS_ENABLED", "maybe"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("SECURITY_HEADERS_ENABLED: 'maybe'");
        assertThatThrownBy(() -> start("REQUEST_ID_HEADER", "X Request"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("REQUEST_ID_HEADER='X Request': requestId.header:");
    }
}
