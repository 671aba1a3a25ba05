package dev.tollgate.middleware.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Configurations that would be unsafe or wrong fail when built, with a message that says how to fix them. */
class JwtAuthBuilderTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final JWKSet RSA = new JWKSet(Tokens.rsa("k").toPublicJWK());

    @Test
    void theAlgorithmAllowlistIsRequired() {
        assertThatThrownBy(() -> JwtAuth.jwkSet(RSA).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jwt.algorithms: none given (expected: an allowlist, e.g. algorithms(RS256, ES256))");
    }

    @Test
    void noneCannotBeConfigured() {
        for (String none : new String[]{"none", "NONE", "None"}) {
            assertThatThrownBy(() -> JwtAuth.jwkSet(RSA).algorithms(none))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("jwt.algorithms: NONE (expected: one of");
            assertThatThrownBy(() -> JwtAuth.hmac(SECRET).algorithms(new JWSAlgorithm(none)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("jwt.algorithms: " + none);
        }
    }

    @Test
    void hmacWithPublicKeysCannotBeConfigured() {
        assertThatThrownBy(() -> JwtAuth.jwks(URI.create("https://idp/jwks")).algorithms(JWSAlgorithm.RS256, JWSAlgorithm.HS256))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jwt.algorithms: HS256 (expected: one of [ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384, RS512]"
                        + " with public keys; HMAC needs JwtAuth.hmac(secret))");
        assertThatThrownBy(() -> JwtAuth.jwkSet(RSA).algorithms(JWSAlgorithm.HS512))
                .isInstanceOf(IllegalArgumentException.class);
        // an oct key in a JWK set is never usable, whatever its kid
        JWKSet octOnly = new JWKSet(new OctetSequenceKey.Builder(SECRET).keyID("k").build());
        assertThatThrownBy(() -> JwtAuth.jwkSet(octOnly).algorithms(JWSAlgorithm.RS256).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("jwt.jwkSet: no key is usable with [RS256]");
        assertThatThrownBy(() -> JwtAuth.hmac(SECRET).algorithms(JWSAlgorithm.RS256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("with an HMAC secret");
    }

    @Test
    void hmacSecretsMustBeLongEnough() {
        assertThatThrownBy(() -> JwtAuth.hmac("short"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("jwt.hmac: a 5-byte secret (expected: >= 32 bytes)");
        assertThatThrownBy(() -> JwtAuth.hmac(SECRET).algorithms(JWSAlgorithm.HS512))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("jwt.algorithms: HS512 needs a secret of at least 64 bytes (got: 32)");
        assertThat(JwtAuth.hmac(SECRET).algorithms("hs256").build()).isNotNull();
    }

    @Test
    void unsupportedAlgorithmsAndBadUrlsAreRefused() {
        assertThatThrownBy(() -> JwtAuth.jwkSet(RSA).algorithms("EdDSA")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JwtAuth.jwkSet(RSA).algorithms("ES256K")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JwtAuth.jwks(URI.create("file:///etc/jwks.json")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jwt.jwks: 'file:///etc/jwks.json' (expected: an absolute http or https URL)");
        assertThatThrownBy(() -> JwtAuth.jwks(URI.create("/jwks.json"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rangesAreChecked() {
        JwtAuth.Builder b = JwtAuth.jwks(URI.create("https://idp/jwks"));
        assertThatThrownBy(() -> b.clockSkew(Duration.ofMinutes(10))).hasMessage("jwt.clockSkew: PT10M (expected: 0s to 5m)");
        assertThatThrownBy(() -> b.maxTokenLength(10)).hasMessage("jwt.maxTokenLength: 10 (expected: 256..65536)");
        assertThatThrownBy(() -> b.jwksTtl(Duration.ofMinutes(1), Duration.ofMinutes(1)))
                .hasMessage("jwt.jwksRefreshAhead: PT1M (expected: 0 to less than the TTL PT1M)");
        assertThatThrownBy(() -> b.tokenCache(-1, Duration.ofMinutes(1))).hasMessage("jwt.tokenCache.maxTokens: -1 (expected: >= 0)");
        assertThatThrownBy(() -> b.forwardClaim("sub", "X User")).hasMessage("jwt.forwardClaim: header 'X User' (expected: a header name)");
        assertThatThrownBy(() -> b.issuer(" ")).hasMessage("jwt.issuer: '' (expected: the issuer URL)");
    }

    @Test
    void jwksOptionsOnOtherKeySourcesAreAMistake() {
        assertThatThrownBy(() -> JwtAuth.hmac(SECRET).algorithms(JWSAlgorithm.HS256).jwksTimeout(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("jwt: jwksTtl, jwksRefetchInterval, jwksTimeout and jwksMaxBytes");
    }

    @Test
    void introspectionNeedsClientCredentials() {
        assertThatThrownBy(() -> TokenIntrospection.endpoint(URI.create("https://idp/introspect")).build())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("introspection.clientCredentials: none given");
        assertThatThrownBy(() -> TokenIntrospection.endpoint(URI.create("ldap://idp")))
                .hasMessage("introspection.endpoint: 'ldap://idp' (expected: an absolute http or https URL)");
        assertThatThrownBy(() -> TokenIntrospection.endpoint(URI.create("https://idp/i")).negativeCacheTtl(Duration.ofMinutes(5)))
                .hasMessage("introspection.negativeCacheTtl: PT5M (expected: 0s to 1m)");
    }

    @Test
    void requirementsRefuseScopesThatCannotBeInAChallenge() {
        assertThatThrownBy(() -> Requirement.scopes("orders:read write"))
                .hasMessage("requirement.scope: 'orders:read write' (expected: a non-empty scope without spaces, quotes or backslashes)");
        assertThatThrownBy(() -> Requirement.scopes("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Requirement.scopes("a", "b").andScopes("c").requiredScopes()).containsExactlyInAnyOrder("a", "b", "c");
    }
}
