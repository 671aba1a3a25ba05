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
