package dev.tollgate.middleware.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import dev.tollgate.Gateway;
import dev.tollgate.auth.Principal;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.route.Route;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** JwtAuth in a real gateway in front of a real backend: what passes, what is forwarded, what is refused. */
class JwtAuthIT {

    private static RSAKey rsa;
    private static ECKey ec;
    private final List<AutoCloseable> open = new ArrayList<>();
    private TestBackend backend;

    @BeforeAll
    static void keys() {
        rsa = Tokens.rsa("rsa-1");
        ec = Tokens.ec("ec-1");
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private JwtAuth.Builder jwt() {
        return JwtAuth.jwkSet(new JWKSet(List.of(rsa, ec))).issuer(Tokens.ISSUER).audience(Tokens.AUDIENCE)
                .algorithms(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    }

    private Client gateway(Gateway.Builder builder) {
        Gateway g = builder.build().start();
        open.add(0, g);
        return new Client(g.port());
    }

    private Client gateway(Middleware middleware) {
        backend = TestBackend.start();
        open.add(backend);
        return gateway(TestGateway.inFrontOf(backend.uri()).use(middleware));
    }

    @Test
    void rs256AndEs256TokensPassAndTheCallerReachesTheUpstream() {
        Client c = gateway(jwt().forwardClaim("sub", "X-User-Id").forwardClaim("scope", "X-Scopes").build());
        for (String token : List.of(Tokens.valid(rsa), Tokens.valid(ec))) {
            HttpResponse<String> r = c.send(c.request("/orders", token).header("X-User-Id", "mallory").build());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(backend.lastRequest().headers().get("X-User-Id")).containsExactly("alice");
            assertThat(backend.lastRequest().header("Authorization")).isEqualTo("Bearer " + token);
            // no scope claim: nothing forwarded, and the client's own copy is gone too
            assertThat(backend.lastRequest().header("X-Scopes")).isNull();
        }
    }

    @Test
    void clientCopiesOfClaimHeadersAreRemovedEvenWhenTheClaimIsAbsent() {
        Client c = gateway(jwt().forwardClaim("tenant", "X-Tenant").forwardClaim("groups", "X-Groups").build());
        String token = Tokens.sign(rsa, Tokens.claims().claim("groups", List.of("admins", "ops")).build());
        HttpResponse<String> r = c.send(c.request("/", token).header("X-Tenant", "evil").build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(backend.lastRequest().header("X-Tenant")).isNull();
        assertThat(backend.lastRequest().header("X-Groups")).isEqualTo("admins,ops");
    }

    @Test
    void claimValuesThatCouldSplitAHeaderAreNotForwarded() {
        Client c = gateway(jwt().forwardClaim("tenant", "X-Tenant").forwardClaim("name", "X-Name").build());
        String token = Tokens.sign(rsa, Tokens.claims().claim("tenant", "acme\r\nX-Admin: true").claim("name", "Zo\u00eb").build());
        assertThat(c.get("/", token).statusCode()).isEqualTo(200);
        assertThat(backend.lastRequest().header("X-Tenant")).isNull();
        assertThat(backend.lastRequest().header("X-Admin")).isNull();
        assertThat(backend.lastRequest().header("X-Name")).isNull();
    }

    @Test
    void authorizationIsStrippedWhenConfigured() {
        Client c = gateway(jwt().forwardAuthorization(false).build());
        assertThat(c.get("/", Tokens.valid(rsa)).statusCode()).isEqualTo(200);
        assertThat(backend.lastRequest().header("Authorization")).isNull();
    }

    @Test
    void theGatewayAttachesThePrincipalForLaterMiddleware() {
        List<Principal> seen = new ArrayList<>();
        backend = TestBackend.start();
        open.add(backend);
        Client c = gateway(TestGateway.inFrontOf(backend.uri()).use(jwt().build())
                .use(Middleware.onRequest(ex -> Principal.current(ex).ifPresent(seen::add))));
        String token = Tokens.sign(ec, Tokens.claims().claim("scope", "orders:read orders:write").build());
        assertThat(c.get("/", token).statusCode()).isEqualTo(200);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).subject()).isEqualTo("alice");
        assertThat(seen.get(0).scopes()).containsExactlyInAnyOrder("orders:read", "orders:write");
        assertThat(seen.get(0).claims()).containsEntry("iss", Tokens.ISSUER).containsKey("exp");
    }

    @Test
    void withoutATokenTheChallengeCarriesNoErrorCode() {
        Client c = gateway(jwt().build());
        for (HttpRequest request : List.of(c.request("/", null).build(),
                c.request("/", null).header("Authorization", "Basic YWxpY2U6c2VjcmV0").build(),
                c.request("/", null).method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build())) {
            HttpResponse<String> r = c.send(request);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void twoAuthorizationHeadersOrAnEmptyTokenAreAnInvalidRequest() throws Exception {
        Client c = gateway(jwt().build());
        int port = c.port();
        String token = Tokens.valid(rsa);
        try (RawHttp raw = RawHttp.connect(port)) {
            RawResponse r = raw.send("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nAuthorization: Bearer " + token + "\r\n\r\n").readResponse(Duration.ofSeconds(10));
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("WWW-Authenticate")).startsWith("Bearer error=\"invalid_request\"");
        }
        HttpResponse<String> empty = c.send(c.request("/", null).header("Authorization", "Bearer").build());
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(backend.requestCount()).isZero();
    }

    @Test
    void scopesPerRouteGive403WithInsufficientScope() {
        backend = TestBackend.start();
        open.add(backend);
        JwtAuth jwt = jwt().build();
        Client c = gateway(Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .route(Route.prefix("/orders").use(jwt.requireScopes("orders:read")).to("b"))
                .route(Route.prefix("/admin").use(jwt).use(Requirement.scopes("admin").andClaim("groups", "ops", "root")).to("b"))
                .route(Route.prefix("/open").use(Requirement.scopes("x")).to("b")));
        String reader = Tokens.sign(rsa, Tokens.claims().claim("scope", "orders:read profile").build());
        String scpArray = Tokens.sign(rsa, Tokens.claims().claim("scp", List.of("orders:read")).build());
        String other = Tokens.sign(rsa, Tokens.claims().claim("scope", "profile").build());
        String admin = Tokens.sign(rsa, Tokens.claims().claim("scope", "admin").claim("groups", List.of("dev", "ops")).build());
        String adminWrongGroup = Tokens.sign(rsa, Tokens.claims().claim("scope", "admin").claim("groups", List.of("dev")).build());

        assertThat(c.get("/orders/1", reader).statusCode()).isEqualTo(200);
        assertThat(c.get("/orders/1", scpArray).statusCode()).isEqualTo(200);
        HttpResponse<String> denied = c.get("/orders/1", other);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("Bearer error=\"insufficient_scope\"").endsWith("scope=\"orders:read\""));
        assertThat(denied.body()).contains("\"code\":\"forbidden\"");

        assertThat(c.get("/admin", admin).statusCode()).isEqualTo(200);
        assertThat(c.get("/admin", adminWrongGroup).statusCode()).isEqualTo(403);
        assertThat(c.get("/admin", reader).statusCode()).isEqualTo(403);
        // a requirement without an authentication middleware in front: nobody is authenticated
        HttpResponse<String> noAuth = c.get("/open", reader);
        assertThat(noAuth.statusCode()).isEqualTo(401);
        assertThat(noAuth.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(backend.requestCount()).isEqualTo(3);
    }

    @Test
    void hmacSecretTokensPass() {
        byte[] secret = "a-shared-secret-of-at-least-32-bytes!".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Client c = gateway(JwtAuth.hmac(secret).algorithms(JWSAlgorithm.HS256).issuer(Tokens.ISSUER).build());
        String token = Tokens.sign(new com.nimbusds.jose.jwk.OctetSequenceKey.Builder(secret).build(), Tokens.claims().build());
        assertThat(c.get("/", token).statusCode()).isEqualTo(200);
        String forged = Tokens.sign(new com.nimbusds.jose.jwk.OctetSequenceKey.Builder(
                "another-secret-that-is-32-bytes-long!".getBytes(java.nio.charset.StandardCharsets.UTF_8)).build(), Tokens.claims().build());
        Client.assertInvalidToken(c.get("/", forged));
    }

    @Test
    void verifiedTokensAreCachedButNeverPastTheirExpiry() {
        JwtAuth jwt = jwt().clockSkew(Duration.ZERO).build();
        Client c = gateway(jwt);
        // seconds of margin: exp has whole-second precision and a loaded machine is slow to send the first request
        String token = Tokens.sign(rsa, Tokens.claims().expirationTime(new Date(System.currentTimeMillis() + 4000)).build());
        assertThat(c.get("/", token).statusCode()).isEqualTo(200);
        assertThat(jwt.cachedTokens()).isEqualTo(1);
        assertThat(c.get("/", token).statusCode()).isEqualTo(200);
        assertThat(jwt.cachedTokens()).isEqualTo(1);
        Await.untilAsserted(() -> Client.assertInvalidToken(c.get("/", token)), Duration.ofSeconds(15));
        assertThat(c.get("/", token).body()).contains("Expired");
    }

    @Test
    void aTokenCacheOfZeroVerifiesEveryTime() {
        JwtAuth jwt = jwt().tokenCache(0, Duration.ofMinutes(1)).build();
        Client c = gateway(jwt);
        String token = Tokens.valid(ec);
        assertThat(c.get("/", token).statusCode()).isEqualTo(200);
        assertThat(c.get("/", token).statusCode()).isEqualTo(200);
        assertThat(jwt.cachedTokens()).isZero();
    }

    @Test
    void missingExpirationIsAcceptedOnlyWhenNotRequired() {
        String noExp = Tokens.sign(rsa, Tokens.claims().expirationTime(null).build());
        Client strict = gateway(jwt().build());
        Client.assertInvalidToken(strict.get("/", noExp));
        Client lax = gateway(TestGateway.inFrontOf(backend.uri()).use(jwt().requireExpiration(false).build()));
        assertThat(lax.get("/", noExp).statusCode()).isEqualTo(200);
    }

    @Test
    void headerNamesOfTheRequestAreUntouchedWhenNothingIsForwarded() {
        Client c = gateway(jwt().build());
        HttpResponse<String> r = c.send(c.request("/", Tokens.valid(rsa)).header("X-User-Id", "kept").build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(backend.lastRequest().header("X-User-Id")).isEqualTo("kept");
    }
}
