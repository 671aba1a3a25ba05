package dev.tollgate.config;

import dev.tollgate.Gateway;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvConfigTest {

    @Test
    void defaultsPointAtTheDemoBackendOnPort8000() {
        EnvConfig config = EnvConfig.of(Map.of());
        assertThat(config.hasBackendTarget()).isFalse();
        assertThat(config.backendTarget()).isEqualTo("http://localhost:8048");
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        Gateway gateway = config.toBuilder().build();
        assertThat(gateway.upstream("backend").endpoints()).singleElement()
                .satisfies(e -> assertThat(e.uri().toString()).isEqualTo("http://localhost:8048"));
    }

    @Test
    void readsPortTargetAndDrain() {
        EnvConfig config = EnvConfig.of(Map.of("GATEWAY_PORT", "0", "GATEWAY_BACKEND_TARGET", "http://127.0.0.1:9999",
                "GATEWAY_DRAIN_TIMEOUT", "1m30s"));
        assertThat(config.hasBackendTarget()).isTrue();
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(90));
        try (Gateway gateway = config.toBuilder().build().start()) {
            assertThat(gateway.port()).isPositive();
            assertThat(gateway.upstream("backend").endpoints().get(0).port()).isEqualTo(9999);
        }
    }

    @Test
    void badPortNamesTheVariableAndValue() {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_PORT", "eighty")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("GATEWAY_PORT: 'eighty' is not a whole number");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_PORT", "70000")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("GATEWAY_PORT='70000': port: 70000 (expected: 0..65535)");
    }

    @Test
    void badTargetNamesTheVariableAndValue() {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_TARGET", "localhost:8048")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("GATEWAY_BACKEND_TARGET='localhost:8048': endpoint: 'localhost:8048'");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_TARGET", "http://a:80/path")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("has a path");
    }

    @Test
    void badDurationNamesTheVariable() {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_DRAIN_TIMEOUT", "soon")).drainTimeout())
                .isInstanceOf(ConfigException.class)
                .hasMessage("GATEWAY_DRAIN_TIMEOUT: 'soon' is not a duration (expected: e.g. 500ms, 60s, 2m, 1h30m)");
    }

    @Test
    void goDurations() {
        assertThat(GoDuration.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(GoDuration.parse("60s")).isEqualTo(Duration.ofSeconds(60));
        assertThat(GoDuration.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(GoDuration.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(GoDuration.format(Duration.ofMillis(250))).isEqualTo("250ms");
        for (String bad : new String[]{"", "10", "-5s", "5 s", "s", "5x", "1m-2s"}) {
            assertThatThrownBy(() -> GoDuration.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void severalWeightedTargetsAndABalancer() {
        EnvConfig config = EnvConfig.of(Map.of(
                "GATEWAY_BACKEND_TARGET", "http://a:8080;weight=3, http://b:8080",
                "GATEWAY_LOAD_BALANCER", "consistent-hash:header:X-User"));
        Gateway gateway = config.toBuilder().build();
        assertThat(gateway.upstream("backend").endpoints()).extracting(e -> e.uri().toString() + "/" + e.weight())
                .containsExactly("http://a:8080/3", "http://b:8080/1");
        for (String name : new String[]{"round-robin", "weighted-round-robin", "least-request", "random",
                "consistent-hash:cookie:session", "consistent-hash:client-address", "consistent-hash:path"}) {
            assertThat(EnvConfig.loadBalancer(name)).as(name).isNotNull();
        }
    }

    @Test
    void badTargetListsAndBalancersNameTheVariable() {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_TARGET", "http://a:80;weight=x")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("GATEWAY_BACKEND_TARGET='http://a:80;weight=x': target 'http://a:80;weight=x' has a weight that is not a whole number");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_TARGET", "http://a:80;w=2")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("has an unknown parameter 'w=2' (expected: URI or URI;weight=N)");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_TARGET", "http://a:80;weight=0")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("weight 0 (expected: 1..1000)");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_TARGET", "http://a:80,http://a:80")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is listed twice");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_LOAD_BALANCER", "fastest")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("GATEWAY_LOAD_BALANCER='fastest': 'fastest' is not a load balancer (expected: round-robin,");
    }

    @Test
    void healthCheckPath() {
        Gateway gateway = EnvConfig.of(Map.of("GATEWAY_HEALTH_CHECK_PATH", "/healthz")).toBuilder().build();
        assertThat(gateway.upstream("backend").healthCheck()).hasValueSatisfying(
                check -> assertThat(check.path()).isEqualTo("/healthz"));
        assertThat(EnvConfig.of(Map.of()).toBuilder().build().upstream("backend").healthCheck()).isEmpty();
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_HEALTH_CHECK_PATH", "healthz")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("GATEWAY_HEALTH_CHECK_PATH='healthz': ");
    }

    private static String testFile(String name) throws Exception {
        return java.nio.file.Path.of(EnvConfigTest.class.getResource("/tls/" + name).toURI()).toString();
    }

    @Test
    void tlsFilesSwitchTheListenerToTls() throws Exception {
        EnvConfig config = EnvConfig.of(Map.of("GATEWAY_HOST", "127.0.0.1", "GATEWAY_PORT", "0",
                "TLS_CERT_FILE", testFile("server.pem"), "TLS_KEY_FILE", testFile("server.key")));
        try (Gateway gateway = config.toBuilder().build().start()) {
            javax.net.ssl.SSLContext trustAll = javax.net.ssl.SSLContext.getInstance("TLS");
            trustAll.init(null, new javax.net.ssl.TrustManager[]{new javax.net.ssl.X509TrustManager() {
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {
                }

                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", gateway.port())) {
                s.setSoTimeout(10_000);
                s.startHandshake();
                assertThat(((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName()).isEqualTo("CN=server-one");
            }
        }
    }

    @Test
    void oneTlsFileWithoutTheOtherNamesTheMissingVariable() throws Exception {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("TLS_CERT_FILE", testFile("server.pem"))).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("TLS_KEY_FILE: not set, but TLS_CERT_FILE is (expected: both for TLS, or neither for cleartext)");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("TLS_KEY_FILE", testFile("server.key"))).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("TLS_CERT_FILE: not set, but TLS_KEY_FILE is (expected: both for TLS, or neither for cleartext)");
    }

    @Test
    void anUnreadableTlsFileNamesTheVariableAndTheFile() throws Exception {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("TLS_CERT_FILE", "/nonexistent/cert.pem", "TLS_KEY_FILE", testFile("server.key"))).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("TLS_CERT_FILE='/nonexistent/cert.pem': tls.certificateFile: /nonexistent/cert.pem does not exist");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("TLS_CERT_FILE", testFile("server.pem"), "TLS_KEY_FILE", "/nonexistent/key.pem")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("TLS_KEY_FILE='/nonexistent/key.pem': tls.privateKeyFile: /nonexistent/key.pem does not exist");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("TLS_CERT_FILE", testFile("server.pem"), "TLS_KEY_FILE", testFile("server2.key"))).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("TLS_CERT_FILE='" + testFile("server.pem") + "': the private key in ")
                .hasMessageContaining("does not match the certificate");
    }

    @Test
    void cleartextHttp2IsABoolean() {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_HTTP2_CLEARTEXT", "maybe")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("GATEWAY_HTTP2_CLEARTEXT: 'maybe' is not a boolean (expected: true or false)");
    }

    @Test
    void cleartextHttp2ServesHttp2ToAnUpgradingClient() throws Exception {
        EnvConfig config = EnvConfig.of(Map.of("GATEWAY_HOST", "127.0.0.1", "GATEWAY_PORT", "0", "GATEWAY_HTTP2_CLEARTEXT", "true"));
        try (Gateway gateway = config.toBuilder().build().start()) {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2)
                    .build().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + gateway.port() + "/health"))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
        }
    }

    @Test
    void backendTlsFilesAreReadAndNamedInErrors() throws Exception {
        Gateway gateway = EnvConfig.of(Map.of("GATEWAY_BACKEND_TARGET", "https://127.0.0.1:9443",
                "GATEWAY_BACKEND_CA_FILE", testFile("ca.pem"),
                "GATEWAY_BACKEND_CLIENT_CERT_FILE", testFile("client.pem"), "GATEWAY_BACKEND_CLIENT_KEY_FILE", testFile("client.key")))
                .toBuilder().build();
        assertThat(gateway.upstream("backend").tls()).isPresent();

        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_CA_FILE", "/nonexistent/ca.pem")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("GATEWAY_BACKEND_CA_FILE='/nonexistent/ca.pem': upstreamTls.trustStore: /nonexistent/ca.pem does not exist");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("GATEWAY_BACKEND_CLIENT_CERT_FILE", testFile("client.pem"))).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("GATEWAY_BACKEND_CLIENT_KEY_FILE: not set, but GATEWAY_BACKEND_CLIENT_CERT_FILE is (expected: both, or neither)");
    }

    @Test
    void withPrefixGivesTheSetVariablesOfAFamily() {
        EnvConfig config = EnvConfig.of(Map.of("OTEL_SERVICE_NAME", " edge ", "OTEL_TRACES_SAMPLER", "  ",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "GATEWAY_PORT", "1"));
        assertThat(config.withPrefix("OTEL_")).containsExactly(
                Map.entry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), Map.entry("OTEL_SERVICE_NAME", "edge"));
        assertThat(config.withPrefix("NOPE_")).isEmpty();
    }

    @Test
    void circuitBreakerDefaultsAreFiveFailuresAndSixtySeconds() {
        Gateway gateway = EnvConfig.of(Map.of()).toBuilder().build();
        var policy = gateway.upstream("backend").spec().circuitBreaker();
        assertThat(policy.enabled()).isTrue();
        assertThat(policy.failureThreshold()).isEqualTo(5);
        assertThat(policy.openFor()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void circuitBreakerVariablesSetThresholdAndOpenTime() {
        Gateway gateway = EnvConfig.of(Map.of("CIRCUIT_BREAKER_THRESHOLD", "3", "CIRCUIT_BREAKER_TIMEOUT", "1m30s"))
                .toBuilder().build();
        var policy = gateway.upstream("backend").spec().circuitBreaker();
        assertThat(policy.failureThreshold()).isEqualTo(3);
        assertThat(policy.openFor()).isEqualTo(Duration.ofSeconds(90));
        assertThat(EnvConfig.of(Map.of("CIRCUIT_BREAKER_TIMEOUT", "500ms")).toBuilder().build()
                .upstream("backend").spec().circuitBreaker().openFor()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void badCircuitBreakerValuesNameTheVariable() {
        assertThatThrownBy(() -> EnvConfig.of(Map.of("CIRCUIT_BREAKER_THRESHOLD", "five")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("CIRCUIT_BREAKER_THRESHOLD: 'five' is not a whole number");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("CIRCUIT_BREAKER_THRESHOLD", "0")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("CIRCUIT_BREAKER_THRESHOLD='0': circuitBreaker.failureThreshold: 0 (expected: >= 1)");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("CIRCUIT_BREAKER_TIMEOUT", "soon")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("CIRCUIT_BREAKER_TIMEOUT: 'soon'");
        assertThatThrownBy(() -> EnvConfig.of(Map.of("CIRCUIT_BREAKER_TIMEOUT", "0s")).toBuilder())
                .isInstanceOf(ConfigException.class)
                .hasMessage("CIRCUIT_BREAKER_TIMEOUT='0s': circuitBreaker.openFor: PT0S (expected: >= 1ms)");
    }
}
