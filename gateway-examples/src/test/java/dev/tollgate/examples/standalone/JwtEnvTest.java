package dev.tollgate.examples.standalone;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** JWT_* variables: misconfiguration names the variable; a configured gateway really checks tokens. */
class JwtEnvTest {

    private static final String SECRET = "standalone-secret-of-at-least-32-bytes";

    private static void configure(Map<String, String> env) {
        EnvConfig config = EnvConfig.of(env);
        JwtEnv.apply(config, config.toBuilder());
    }

    @Test
    void misconfigurationNamesTheVariable() {
        assertThatThrownBy(() -> configure(Map.of("JWT_JWKS_URL", "https://idp/jwks", "JWT_HMAC_SECRET", SECRET,
                "JWT_ALGORITHMS", "RS256")))
                .isInstanceOf(ConfigException.class).hasMessage("JWT_JWKS_URL and JWT_HMAC_SECRET are both set (expected: one of them)");
        assertThatThrownBy(() -> configure(Map.of("JWT_JWKS_URL", "https://idp/jwks")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("JWT_ALGORITHMS is not set");
        assertThatThrownBy(() -> configure(Map.of("JWT_JWKS_URL", "https://idp/jwks", "JWT_ALGORITHMS", "none")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("JWT_ALGORITHMS='none': jwt.algorithms: NONE");
        assertThatThrownBy(() -> configure(Map.of("JWT_JWKS_URL", "https://idp/jwks", "JWT_ALGORITHMS", "RS256,HS256")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("JWT_ALGORITHMS='RS256,HS256': jwt.algorithms: HS256");
        assertThatThrownBy(() -> configure(Map.of("JWT_JWKS_URL", "ftp://idp/jwks", "JWT_ALGORITHMS", "RS256")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("JWT_JWKS_URL='ftp://idp/jwks': jwt.jwks:");
        assertThatThrownBy(() -> configure(Map.of("JWT_JWKS_URL", "https://idp/ jwks", "JWT_ALGORITHMS", "RS256")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("JWT_JWKS_URL=");
        assertThatThrownBy(() -> configure(Map.of("JWT_ISSUER", "https://idp")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("JWT_ISSUER is set but neither JWT_JWKS_URL nor JWT_HMAC_SECRET is (expected: one of them to turn JWT authentication on)");
    }

    @Test
    void aShortSecretIsNamedButNeverQuoted() {
        assertThatThrownBy(() -> configure(Map.of("JWT_HMAC_SECRET", "hunter2", "JWT_ALGORITHMS", "HS256")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("JWT_HMAC_SECRET: jwt.hmac: a 7-byte secret (expected: >= 32 bytes)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }

    private static String token(String secret, String audience) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
                .issuer("https://idp.test").audience(audience).subject("alice")
                .expirationTime(new Date(System.currentTimeMillis() + 300_000)).build());
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    @Test
    void aGatewayFromTheEnvironmentChecksRealHmacTokens() throws Exception {
        try (TestBackend backend = TestBackend.start()) {
            Map<String, String> env = new HashMap<>();
            env.put("GATEWAY_HOST", "127.0.0.1");
            env.put("GATEWAY_PORT", "0");
            env.put("GATEWAY_BACKEND_TARGET", backend.uri().toString());
            env.put("JWT_HMAC_SECRET", SECRET);
            env.put("JWT_ALGORITHMS", "HS256");
            env.put("JWT_ISSUER", "https://idp.test");
            env.put("JWT_AUDIENCE", "orders, billing");
            try (StandaloneGateway running = StandaloneGateway.start(env)) {
                HttpClient client = HttpClient.newHttpClient();
                URI uri = URI.create("http://127.0.0.1:" + running.gateway().port() + "/orders");
                HttpResponse<String> ok = client.send(HttpRequest.newBuilder(uri)
                        .header("Authorization", "Bearer " + token(SECRET, "billing")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(backend.lastRequest().path()).isEqualTo("/orders");

                HttpResponse<String> none = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(none.statusCode()).isEqualTo(401);
                HttpResponse<String> otherAudience = client.send(HttpRequest.newBuilder(uri)
                        .header("Authorization", "Bearer " + token(SECRET, "payroll")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(otherAudience.statusCode()).isEqualTo(401);
                assertThat(otherAudience.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                        assertThat(v).startsWith("Bearer error=\"invalid_token\""));
                HttpResponse<String> forged = client.send(HttpRequest.newBuilder(uri)
                        .header("Authorization", "Bearer " + token("another-secret-of-at-least-32-bytes!", "orders")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(forged.statusCode()).isEqualTo(401);
                assertThat(backend.requestCount()).isEqualTo(1);
            }
        }
    }

    @Test
    void withoutJwtVariablesNothingIsAuthenticated() throws Exception {
        try (TestBackend backend = TestBackend.start();
             StandaloneGateway running = StandaloneGateway.start(Map.of("GATEWAY_HOST", "127.0.0.1", "GATEWAY_PORT", "0",
                     "GATEWAY_BACKEND_TARGET", backend.uri().toString()))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + running.gateway().port() + "/x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
        }
    }
}
