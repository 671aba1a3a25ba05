package dev.tollgate.examples.standalone;

import dev.tollgate.Gateway;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.middleware.cors.Cors;
import dev.tollgate.middleware.headers.SecurityHeaders;
import dev.tollgate.middleware.ipfilter.IpFilter;
import dev.tollgate.middleware.requestid.RequestIds;

import java.util.List;

/**
 * The edge middleware of the standalone gateway from the environment: request IDs and security
 * headers (both on by default), IP allow/deny lists and CORS (on when their variables are set).
 *
 * <table>
 *   <caption>Variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>REQUEST_ID_HEADER</td><td>X-Request-ID</td><td>header carrying the request ID both ways</td></tr>
 *   <tr><td>SECURITY_HEADERS_ENABLED</td><td>true</td><td>the default security headers</td></tr>
 *   <tr><td>IP_ALLOWLIST</td><td>unset</td><td>comma-separated CIDRs; when set, only these clients</td></tr>
 *   <tr><td>IP_DENYLIST</td><td>unset</td><td>comma-separated CIDRs refused (wins over the allow list)</td></tr>
 *   <tr><td>CORS_ALLOWED_ORIGINS</td><td>unset (no CORS)</td><td>comma-separated origins, {@code https://*.example.com}
 *       patterns, {@code null}, or {@code *}</td></tr>
 *   <tr><td>CORS_ALLOWED_METHODS</td><td>GET,HEAD,POST</td><td>methods a preflight may ask for</td></tr>
 *   <tr><td>CORS_ALLOWED_HEADERS</td><td>none</td><td>request headers a preflight may ask for ({@code *} for any)</td></tr>
 *   <tr><td>CORS_ALLOW_CREDENTIALS</td><td>false</td><td>cookies and HTTP authentication allowed</td></tr>
 * </table>
 */
final class EdgeEnv {

    private EdgeEnv() {
    }

    /** Request IDs, always on; {@code REQUEST_ID_HEADER} names the header. */
    static void requestIds(EnvConfig env, Gateway.Builder gateway) {
        RequestIds.Builder ids = RequestIds.builder();
        String header = env.value("REQUEST_ID_HEADER");
        if (header != null) {
            env.apply("REQUEST_ID_HEADER", () -> ids.header(header));
        }
        gateway.use(ids.build());
    }

    /** The default security headers unless {@code SECURITY_HEADERS_ENABLED=false}. */
    static void securityHeaders(EnvConfig env, Gateway.Builder gateway) {
        if (env.bool("SECURITY_HEADERS_ENABLED", true)) {
            gateway.use(SecurityHeaders.defaults());
        }
    }

    /** An IP filter when {@code IP_ALLOWLIST} or {@code IP_DENYLIST} is set. */
    static void ipFilter(EnvConfig env, Gateway.Builder gateway) {
        List<String> allow = env.list("IP_ALLOWLIST");
        List<String> deny = env.list("IP_DENYLIST");
        if (allow.isEmpty() && deny.isEmpty()) {
            return;
        }
        IpFilter.Builder filter = IpFilter.builder();
        env.apply("IP_ALLOWLIST", () -> filter.allow(allow));
        env.apply("IP_DENYLIST", () -> filter.deny(deny));
        gateway.use(filter.build());
    }

    /** CORS when {@code CORS_ALLOWED_ORIGINS} is set. */
    static void cors(EnvConfig env, Gateway.Builder gateway) {
        List<String> origins = env.list("CORS_ALLOWED_ORIGINS");
        if (origins.isEmpty()) {
            return;
        }
        Cors.Builder cors = Cors.builder();
        env.apply("CORS_ALLOWED_ORIGINS", () -> cors.allowOrigins(origins));
        List<String> methods = env.list("CORS_ALLOWED_METHODS");
        if (!methods.isEmpty()) {
            env.apply("CORS_ALLOWED_METHODS", () -> cors.allowMethods(methods));
        }
        env.apply("CORS_ALLOWED_HEADERS", () -> cors.allowHeaders(env.list("CORS_ALLOWED_HEADERS")));
        boolean credentials = env.bool("CORS_ALLOW_CREDENTIALS", false);
        cors.allowCredentials(credentials);
        // a contradiction spans variables: name the origins and say what clashes
        env.apply("CORS_ALLOWED_ORIGINS", () -> gateway.use(cors.build()));
    }
}
