package dev.tollgate.examples.standalone;

import dev.tollgate.Gateway;
import dev.tollgate.config.EnvConfig;

/**
 * Switches on the ready-made middleware of gateway-middleware for the standalone gateway, from the
 * environment. Each concern reads its own variables (see the README) in a class of this package;
 * this class only fixes their order, outermost first.
 */
final class StandaloneMiddleware {

    private StandaloneMiddleware() {
    }

    /**
     * Adds the configured middleware to {@code gateway}.
     *
     * @throws dev.tollgate.config.ConfigException naming the variable that is wrong
     */
    static void apply(EnvConfig env, Gateway.Builder gateway) {
        // order, outermost first: request ID, observability (metrics, tracing, access log),
        // security headers, IP filter, CORS, authentication (JWT), rate limiting
        EdgeEnv.requestIds(env, gateway);
        io.micrometer.core.instrument.MeterRegistry registry = ObservabilityEnv.apply(env, gateway);
        LoggingEnv.apply(env, gateway, registry);
        EdgeEnv.securityHeaders(env, gateway);
        EdgeEnv.ipFilter(env, gateway);
        EdgeEnv.cors(env, gateway);
        JwtEnv.apply(env, gateway);
        RateLimitEnv.apply(env, gateway);
    }
}
