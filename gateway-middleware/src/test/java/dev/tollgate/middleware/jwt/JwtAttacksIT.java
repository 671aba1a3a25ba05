package dev.tollgate.middleware.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.tollgate.Gateway;
import dev.tollgate.Limits;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.net.http.HttpResponse;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Forged, broken and hostile tokens against a gateway whose keys come from a real JWKS server: every
 * one gets 401 {@code invalid_token} (never a 500), and none reaches the upstream.
 */
class JwtAttacksIT {

    private static RSAKey rsa;
    private static ECKey ec;
    private static RSAKey attacker;
    private static JwksServer jwks;
    private static JwksServer attackerJwks;
    private static TestBackend backend;
    private static Gateway gateway;
    private static Client client;

    @BeforeAll
    static void start() {
        rsa = Tokens.rsa("rsa-1");
        ec = Tokens.ec("ec-1");
        attacker = Tokens.rsa("attacker");
        jwks = new JwksServer(rsa.toPublicJWK(), ec.toPublicJWK());
        attackerJwks = new JwksServer(attacker.toPublicJWK());
        backend = TestBackend.start();
        gateway = TestGateway.inFrontOf(backend.uri())
                // the 1 MB token must reach the middleware rather than stop at the header limit
                .limits(Limits.builder().maxHeaderBytes(1024 * 1024))
                .use(JwtAuth.jwks(jwks.uri()).issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE)
                        .algorithms(JWSAlgorithm.RS256, JWSAlgorithm.ES256).jwksTimeout(java.time.Duration.ofSeconds(10)).build())
                .build().start();
        client = new Client(gateway.port());
    }

    @AfterAll
    static void stop() {
        gateway.close();
        backend.close();
        jwks.close();
        attackerJwks.close();
    }

    private static String payload() {
        return Tokens.payloadJson();
    }

    private static String signHs256(byte[] secret, String kid) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), Tokens.claims().build());
            jwt.sign(new MACSigner(secret));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> attacks() throws Exception {
        long now = System.currentTimeMillis();
        Map<String, String> a = new LinkedHashMap<>();
        a.put("alg none, empty signature", Tokens.raw("{\"alg\":\"none\"}", payload(), ""));
        a.put("alg none, with a signature", Tokens.raw("{\"alg\":\"none\",\"kid\":\"rsa-1\"}", payload(), "c2ln"));
        a.put("alg NONE", Tokens.raw("{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}", payload(), "c2ln"));
        a.put("alg nOnE", Tokens.raw("{\"alg\":\"nOnE\"}", payload(), "c2ln"));
        a.put("HS256 signed with the RSA public key (DER)", signHs256(rsa.toRSAPublicKey().getEncoded(), "rsa-1"));
        a.put("HS256 signed with the RSA public key (JWK JSON)", signHs256(rsa.toPublicJWK().toJSONString().getBytes(), "rsa-1"));
        a.put("embedded jwk header with the real kid", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("rsa-1").jwk(attacker.toPublicJWK()).build(), Tokens.claims().build()));
        a.put("embedded jwk header without kid", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .jwk(attacker.toPublicJWK()).build(), Tokens.claims().build()));
        a.put("jku pointing elsewhere", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("attacker").jwkURL(attackerJwks.uri()).build(), Tokens.claims().build()));
        a.put("x5u pointing elsewhere", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("attacker").x509CertURL(attackerJwks.uri()).build(), Tokens.claims().build()));
        a.put("kid path traversal", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("../../../../../../dev/null").build(), Tokens.claims().build()));
        a.put("kid path traversal with HS256 and an empty-file key", signHs256(new byte[32], "../../../../dev/null"));
        a.put("kid SQL injection", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("x' UNION SELECT 'secret' --").build(), Tokens.claims().build()));
        a.put("kid command injection", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("rsa-1|rm -rf /;`id`").build(), Tokens.claims().build()));
        a.put("ES256 with r = s = 0", Tokens.raw("{\"alg\":\"ES256\",\"kid\":\"ec-1\"}", payload(), Tokens.b64(new byte[64])));
        a.put("ES256 with r = s = 0 (DER-length signature)", Tokens.raw("{\"alg\":\"ES256\",\"kid\":\"ec-1\"}", payload(), Tokens.b64(new byte[8])));
        a.put("unknown crit header", Tokens.sign(rsa, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1")
                .criticalParams(Set.of("x-tenant-policy")).customParam("x-tenant-policy", "strict").build(), Tokens.claims().build()));
        a.put("signed by another key under the real kid", Tokens.sign(attacker, new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("rsa-1").build(), Tokens.claims().build()));
        a.put("alg switched from RS256 to RS512", switchAlg(Tokens.valid(rsa), "RS512"));
        a.put("PS256, not in the allowlist", Tokens.sign(rsa, new JWSHeader.Builder(JWSAlgorithm.PS256).keyID("rsa-1").build(),
                Tokens.claims().build()));
        a.put("payload changed after signing", swapPayload(Tokens.valid(rsa), Tokens.claims().subject("admin").build().toString()));
        a.put("exp in the past", Tokens.sign(rsa, Tokens.claims().expirationTime(new Date(now - 600_000)).build()));
        a.put("nbf in the future", Tokens.sign(rsa, Tokens.claims().notBeforeTime(new Date(now + 600_000)).build()));
        a.put("iat in the future", Tokens.sign(rsa, Tokens.claims().issueTime(new Date(now + 600_000)).build()));
        a.put("missing exp", Tokens.sign(rsa, Tokens.claims().expirationTime(null).build()));
        a.put("wrong iss", Tokens.sign(rsa, Tokens.claims().issuer("https://evil.test").build()));
        a.put("missing iss", Tokens.sign(ec, Tokens.claims().issuer(null).build()));
        a.put("wrong aud", Tokens.sign(rsa, Tokens.claims().audience("billing").build()));
        a.put("missing aud", Tokens.sign(ec, Tokens.claims().audience((String) null).build()));
        a.put("exp as a string", Tokens.raw("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}",
                "{\"iss\":\"" + Tokens.ISSUER + "\",\"aud\":\"orders\",\"exp\":\"tomorrow\"}", "c2ln"));
        a.put("malformed base64url in the payload", "eyJhbGciOiJSUzI1NiJ9.e$$$.c2ln");
        a.put("base64 padding", Tokens.valid(rsa) + "==");
        a.put("standard base64 characters", Tokens.valid(rsa).replace('-', '+').replace('_', '/') + "+/");
        a.put("two segments", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0");
        a.put("four segments", Tokens.valid(rsa) + ".c2ln");
        a.put("empty header segment", "." + Tokens.b64(payload()) + ".c2ln");
        a.put("header is not JSON", Tokens.b64("not json") + "." + Tokens.b64(payload()) + ".c2ln");
        a.put("header is a JSON array", Tokens.b64("[\"RS256\"]") + "." + Tokens.b64(payload()) + ".c2ln");
        a.put("payload is not JSON", Tokens.raw("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", "{{{{", "c2ln"));
        a.put("one-character base64 group", Tokens.b64("{\"alg\":\"RS256\"}") + "a." + Tokens.b64(payload()) + ".c2ln");
        a.put("a 1 MB token", "a".repeat(400_000) + "." + "b".repeat(400_000) + "." + "c".repeat(200_000));
        a.put("deeply nested JSON in the payload", Tokens.raw("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}",
                "{\"a\":" + "[".repeat(2500) + "]".repeat(2500) + "}", "c2ln"));
        a.put("deeply nested JSON in the header", Tokens.raw("{\"alg\":\"RS256\",\"x\":" + "{\"a\":".repeat(1000) + "1"
                + "}".repeat(1000) + "}", payload(), "c2ln"));
        a.put("a JWE (five segments)", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d");
        return a;
    }

    private static String switchAlg(String token, String alg) {
        String[] p = token.split("\\.");
        return Tokens.b64("{\"alg\":\"" + alg + "\",\"kid\":\"rsa-1\"}") + "." + p[1] + "." + p[2];
    }

    private static String swapPayload(String token, String payload) {
        String[] p = token.split("\\.");
        return p[0] + "." + Tokens.b64(payload) + "." + p[2];
    }

    @TestFactory
    Stream<DynamicTest> everyAttackGets401AndNeverReachesTheUpstream() throws Exception {
        return attacks().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            long before = backend.requestCount();
            HttpResponse<String> r = client.get("/orders", e.getValue());
            Client.assertInvalidToken(r);
            assertThat(backend.requestCount()).as("requests that reached the upstream").isEqualTo(before);
        }));
    }

    @Test
    void theGoodTokensStillPassAndNoHeaderUrlWasEverFetched() throws Exception {
        for (String attack : attacks().values()) {
            client.get("/orders", attack);
        }
        assertThat(client.get("/orders", Tokens.valid(rsa)).statusCode()).isEqualTo(200);
        assertThat(client.get("/orders", Tokens.valid(ec)).statusCode()).isEqualTo(200);
        assertThat(attackerJwks.fetches()).as("fetches of a jku/x5u URL").isZero();
        // unknown kids cost at most the one rate-limited refetch on top of the first fetch
        assertThat(jwks.fetches()).isLessThanOrEqualTo(2);
    }

    @Test
    void descriptionsSayWhatIsWrong() {
        long now = System.currentTimeMillis();
        assertThat(client.get("/", Tokens.sign(rsa, Tokens.claims().expirationTime(new Date(now - 600_000)).build()))
                .headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("Expired"));
        assertThat(client.get("/", "a.b").body()).contains("not three base64url segments");
        assertThat(client.get("/", Tokens.raw("{\"alg\":\"none\"}", payload(), "c2ln")).body()).contains("not a well-formed signed JWT");
        assertThat(client.get("/", Tokens.sign(rsa, new JWSHeader.Builder(JWSAlgorithm.PS256).keyID("rsa-1").build(),
                Tokens.claims().build())).body()).contains("the algorithm PS256 is not accepted");
    }
}
