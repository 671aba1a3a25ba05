package dev.tollgate.examples.standalone;

import dev.tollgate.Gateway;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.middleware.jwt.JwtAuth;

import java.net.URI;
import java.util.List;

/**
 * JWT authentication of every request for the standalone gateway, from the environment.
 *
 * <table>
 *   <caption>Variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>JWT_JWKS_URL</td><td>unset</td><td>the JWKS URL of the token issuer; turns JWT authentication on</td></tr>
 *   <tr><td>JWT_HMAC_SECRET</td><td>unset</td><td>instead of a JWKS URL: a shared HMAC secret, at least 32 bytes (UTF-8)</td></tr>
 *   <tr><td>JWT_ALGORITHMS</td><td>required with either</td><td>comma-separated allowlist: RS256, PS256, ES256 (and 384/512)
 *       with a JWKS URL; HS256/384/512 with a secret</td></tr>
 *   <tr><td>JWT_ISSUER</td><td>unset (any)</td><td>the required {@code iss}</td></tr>
 *   <tr><td>JWT_AUDIENCE</td><td>unset (any)</td><td>comma-separated accepted audiences; {@code aud} must contain one</td></tr>
 * </table>
 */
final class JwtEnv {

    private static final List<String> VARIABLES = List.of("JWT_JWKS_URL", "JWT_HMAC_SECRET", "JWT_ALGORITHMS", "JWT_ISSUER", "JWT_AUDIENCE");

    private JwtEnv() {
    }

    /**
     * Adds {@link JwtAuth} to {@code gateway} when {@code JWT_JWKS_URL} or {@code JWT_HMAC_SECRET} is set.
     *
     * @throws ConfigException naming the variable that is wrong (never quoting the secret)
     */
    static void apply(EnvConfig env, Gateway.Builder gateway) {
        String jwks = env.value("JWT_JWKS_URL");
        String secret = env.value("JWT_HMAC_SECRET");
        if (jwks == null && secret == null) {
            for (String v : VARIABLES) {
                if (env.value(v) != null) {
                    throw new ConfigException(v + " is set but neither JWT_JWKS_URL nor JWT_HMAC_SECRET is"
                            + " (expected: one of them to turn JWT authentication on)");
                }
            }
            return;
        }
        if (jwks != null && secret != null) {
            throw new ConfigException("JWT_JWKS_URL and JWT_HMAC_SECRET are both set (expected: one of them)");
        }
        List<String> algorithms = env.list("JWT_ALGORITHMS");
        if (algorithms.isEmpty()) {
            throw new ConfigException("JWT_ALGORITHMS is not set (expected: the accepted algorithms, e.g. RS256,ES256 with "
                    + "JWT_JWKS_URL or HS256 with JWT_HMAC_SECRET)");
        }
        JwtAuth.Builder[] jwt = new JwtAuth.Builder[1];
        if (jwks != null) {
            env.apply("JWT_JWKS_URL", () -> jwt[0] = JwtAuth.jwks(URI.create(jwks)));
        } else {
            try {
                jwt[0] = JwtAuth.hmac(secret);
            } catch (IllegalArgumentException e) {
                // the secret itself never goes into a message
                throw new ConfigException("JWT_HMAC_SECRET: " + e.getMessage());
            }
        }
        env.apply("JWT_ALGORITHMS", () -> jwt[0].algorithms(algorithms.toArray(String[]::new)));
        String issuer = env.value("JWT_ISSUER");
        if (issuer != null) {
            env.apply("JWT_ISSUER", () -> jwt[0].issuer(issuer));
        }
        List<String> audiences = env.list("JWT_AUDIENCE");
        if (!audiences.isEmpty()) {
            env.apply("JWT_AUDIENCE", () -> jwt[0].audience(audiences.toArray(String[]::new)));
        }
        env.apply("JWT_ALGORITHMS", () -> gateway.use(jwt[0].build()));
    }
}
