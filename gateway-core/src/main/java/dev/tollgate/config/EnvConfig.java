package dev.tollgate.config;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.HashKey;
import dev.tollgate.upstream.HealthCheck;
import dev.tollgate.upstream.LoadBalancer;
import dev.tollgate.resilience.CircuitBreakerPolicy;
import dev.tollgate.upstream.Upstream;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads the standalone gateway's environment variables into a {@link Gateway.Builder}. It only
 * parses: the builders validate. Every error names the variable and its value.
 *
 * <table>
 *   <caption>Variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>GATEWAY_PORT</td><td>8000</td><td>listen port</td></tr>
 *   <tr><td>GATEWAY_HOST</td><td>0.0.0.0</td><td>listen address</td></tr>
 *   <tr><td>GATEWAY_BACKEND_TARGET</td><td>http://localhost:8048</td><td>the backends every path goes to:
 *       comma-separated, each optionally weighted ({@code http://a:8080;weight=3,http://b:8080})</td></tr>
 *   <tr><td>GATEWAY_LOAD_BALANCER</td><td>least-request</td><td>round-robin, weighted-round-robin,
 *       least-request, random, or consistent-hash:header:NAME / consistent-hash:cookie:NAME /
 *       consistent-hash:client-address / consistent-hash:path</td></tr>
 *   <tr><td>GATEWAY_HEALTH_CHECK_PATH</td><td>unset</td><td>when set, every target is checked with
 *       GET on this path (5 s interval, 1 s timeout, 2xx/3xx healthy); outlier detection is always on</td></tr>
 *   <tr><td>ADMIN_PORT</td><td>unset</td><td>separate port for /health and /ready</td></tr>
 *   <tr><td>GATEWAY_DRAIN_TIMEOUT</td><td>30s</td><td>how long a stop waits for in-flight requests</td></tr>
 *   <tr><td>TRUSTED_PROXIES (or GATEWAY_TRUSTED_PROXIES)</td><td>unset</td><td>comma-separated CIDRs whose X-Forwarded-* are kept</td></tr>
 *   <tr><td>TLS_CERT_FILE, TLS_KEY_FILE</td><td>unset</td><td>PEM certificate (chain) and private key: both set
 *       switch the main port to TLS with HTTP/2 through ALPN; the files are re-read when they change</td></tr>
 *   <tr><td>TLS_RELOAD_INTERVAL</td><td>10s</td><td>how often the TLS files are checked for a change; 0 turns it off</td></tr>
 *   <tr><td>GATEWAY_BACKEND_CA_FILE</td><td>unset</td><td>PEM certificates trusted for https targets
 *       (instead of the JDK's trust store)</td></tr>
 *   <tr><td>GATEWAY_BACKEND_CLIENT_CERT_FILE, GATEWAY_BACKEND_CLIENT_KEY_FILE</td><td>unset</td><td>PEM client
 *       certificate and key presented to https targets that ask for one (mTLS)</td></tr>
 *   <tr><td>GATEWAY_HTTP2_CLEARTEXT</td><td>false</td><td>cleartext HTTP/2 (h2c upgrade and prior knowledge) on a
 *       port without TLS</td></tr>
 *   <tr><td>CIRCUIT_BREAKER_THRESHOLD</td><td>5</td><td>consecutive failures that open the backend's circuit breaker</td></tr>
 *   <tr><td>CIRCUIT_BREAKER_TIMEOUT</td><td>60s</td><td>how long the breaker stays open before a probe (Go-style duration)</td></tr>
 * </table>
 */
public final class EnvConfig {

    /** The upstream the standalone gateway sends every request to. */
    public static final String BACKEND_UPSTREAM = "backend";
    public static final String DEFAULT_BACKEND_TARGET = "http://localhost:8048";

    private final Map<String, String> env;

    private EnvConfig(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** Reads from the given variables (tests pass their own map; the runner passes {@code System.getenv()}). */
    public static EnvConfig of(Map<String, String> env) {
        return new EnvConfig(Objects.requireNonNull(env, "env"));
    }

    /** Whether the backend target was given explicitly. */
    public boolean hasBackendTarget() {
        return value("GATEWAY_BACKEND_TARGET") != null;
    }

    /** The backend target: {@code GATEWAY_BACKEND_TARGET} or the default. */
    public String backendTarget() {
        String v = value("GATEWAY_BACKEND_TARGET");
        return v == null ? DEFAULT_BACKEND_TARGET : v;
    }

    /** {@code GATEWAY_DRAIN_TIMEOUT}, default 30 s. */
    public Duration drainTimeout() {
        return duration("GATEWAY_DRAIN_TIMEOUT", Duration.ofSeconds(30));
    }

    /**
     * A builder configured from the variables.
     *
     * @throws ConfigException naming the variable and value that are wrong
     */
    public Gateway.Builder toBuilder() {
        Gateway.Builder b = Gateway.builder();
        apply("GATEWAY_PORT", () -> b.port(integer("GATEWAY_PORT", 8000)));
        String host = value("GATEWAY_HOST");
        if (host != null) {
            apply("GATEWAY_HOST", () -> b.host(host));
        }
        String admin = value("ADMIN_PORT");
        if (admin != null) {
            apply("ADMIN_PORT", () -> b.adminPort(integer("ADMIN_PORT", 0)));
        }
        apply("GATEWAY_DRAIN_TIMEOUT", () -> b.drainTimeout(drainTimeout()));
        String trustedVar = value("TRUSTED_PROXIES") != null ? "TRUSTED_PROXIES" : "GATEWAY_TRUSTED_PROXIES";
        List<String> trusted = list(trustedVar);
        if (!trusted.isEmpty()) {
            apply(trustedVar, () -> b.proxy(dev.tollgate.proxy.ProxyOptions.builder().trustedProxies(trusted)));
        }
        tls(b);
        Upstream.Builder upstream = Upstream.builder(BACKEND_UPSTREAM);
        for (String target : backendTarget().split(",")) {
            apply("GATEWAY_BACKEND_TARGET", () -> upstream.endpoint(endpoint(target.trim())));
        }
        backendTls(upstream);
        String healthPath = value("GATEWAY_HEALTH_CHECK_PATH");
        if (healthPath != null) {
            apply("GATEWAY_HEALTH_CHECK_PATH", () -> upstream.healthCheck(HealthCheck.http(healthPath)));
        }
        String balancer = value("GATEWAY_LOAD_BALANCER");
        apply("GATEWAY_LOAD_BALANCER", () -> upstream.loadBalancer(loadBalancer(balancer == null ? "least-request" : balancer)));
        CircuitBreakerPolicy.Builder breaker = CircuitBreakerPolicy.builder();
        apply("CIRCUIT_BREAKER_THRESHOLD", () -> breaker.failureThreshold(integer("CIRCUIT_BREAKER_THRESHOLD",
                CircuitBreakerPolicy.DEFAULT_FAILURE_THRESHOLD)));
        apply("CIRCUIT_BREAKER_TIMEOUT", () -> breaker.openFor(duration("CIRCUIT_BREAKER_TIMEOUT", CircuitBreakerPolicy.DEFAULT_OPEN_FOR)));
        upstream.circuitBreaker(breaker);
        apply("GATEWAY_BACKEND_TARGET", () -> b.upstream(upstream.build()));
        b.route(Route.prefix("/").id("default").to(BACKEND_UPSTREAM));
        return b;
    }

    /** TLS_CERT_FILE and TLS_KEY_FILE (both or neither), TLS_RELOAD_INTERVAL, GATEWAY_HTTP2_CLEARTEXT. */
    private void tls(Gateway.Builder b) {
        String cert = value("TLS_CERT_FILE");
        String key = value("TLS_KEY_FILE");
        bothOrNeither("TLS_CERT_FILE", "TLS_KEY_FILE", "both for TLS, or neither for cleartext");
        if (cert != null) {
            Duration reload = duration("TLS_RELOAD_INTERVAL", Duration.ofSeconds(10));
            try {
                b.tls(dev.tollgate.tls.Tls.pem(java.nio.file.Path.of(cert), java.nio.file.Path.of(key)).reloadInterval(reload));
            } catch (IllegalArgumentException e) {
                // the message names the file; the variable is the one that names it
                String var = e.getMessage().startsWith("tls.privateKeyFile") ? "TLS_KEY_FILE" : "TLS_CERT_FILE";
                throw new ConfigException(var + "='" + env.get(var) + "': " + e.getMessage(), e);
            }
        }
        boolean h2c = bool("GATEWAY_HTTP2_CLEARTEXT", false);
        apply("GATEWAY_HTTP2_CLEARTEXT", () -> b.http2Cleartext(h2c));
    }

    /** @throws ConfigException naming the one of two variables that is missing while the other is set */
    private void bothOrNeither(String first, String second, String expected) {
        if ((value(first) == null) != (value(second) == null)) {
            String missing = value(first) == null ? first : second;
            String given = value(first) == null ? second : first;
            throw new ConfigException(missing + ": not set, but " + given + " is (expected: " + expected + ")");
        }
    }

    /** GATEWAY_BACKEND_CA_FILE, GATEWAY_BACKEND_CLIENT_CERT_FILE and GATEWAY_BACKEND_CLIENT_KEY_FILE (both or neither). */
    private void backendTls(Upstream.Builder upstream) {
        String ca = value("GATEWAY_BACKEND_CA_FILE");
        String cert = value("GATEWAY_BACKEND_CLIENT_CERT_FILE");
        String key = value("GATEWAY_BACKEND_CLIENT_KEY_FILE");
        bothOrNeither("GATEWAY_BACKEND_CLIENT_CERT_FILE", "GATEWAY_BACKEND_CLIENT_KEY_FILE", "both, or neither");
        if (ca == null && cert == null) {
            return;
        }
        String var = ca != null ? "GATEWAY_BACKEND_CA_FILE" : "GATEWAY_BACKEND_CLIENT_CERT_FILE";
        apply(var, () -> {
            dev.tollgate.tls.UpstreamTls.Builder tls = ca != null
                    ? dev.tollgate.tls.UpstreamTls.trustStore(java.nio.file.Path.of(ca)) : dev.tollgate.tls.UpstreamTls.systemTrust();
            if (cert != null) {
                tls.clientCertificate(java.nio.file.Path.of(cert), java.nio.file.Path.of(key));
            }
            upstream.tls(tls.build());
        });
    }

    /** One target: {@code URI} or {@code URI;weight=N}. */
    private static Endpoint endpoint(String target) {
        int semi = target.indexOf(';');
        if (semi < 0) {
            return Endpoint.of(target);
        }
        String param = target.substring(semi + 1).trim();
        if (!param.startsWith("weight=")) {
            throw new IllegalArgumentException("target '" + target + "' has an unknown parameter '" + param
                    + "' (expected: URI or URI;weight=N)");
        }
        int weight;
        try {
            weight = Integer.parseInt(param.substring("weight=".length()).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("target '" + target + "' has a weight that is not a whole number");
        }
        return Endpoint.of(target.substring(0, semi).trim(), weight);
    }

    /** A balancer by its standalone name. */
    static LoadBalancer loadBalancer(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        switch (n) {
            case "round-robin":
                return LoadBalancer.roundRobin();
            case "weighted-round-robin":
                return LoadBalancer.weightedRoundRobin();
            case "least-request":
                return LoadBalancer.leastRequest();
            case "random":
                return LoadBalancer.random();
            case "consistent-hash:client-address":
                return LoadBalancer.consistentHash(HashKey.clientAddress());
            case "consistent-hash:path":
                return LoadBalancer.consistentHash(HashKey.path());
            default:
                if (n.startsWith("consistent-hash:header:") && n.length() > "consistent-hash:header:".length()) {
                    return LoadBalancer.consistentHash(HashKey.header(name.trim().substring("consistent-hash:header:".length())));
                }
                if (n.startsWith("consistent-hash:cookie:") && n.length() > "consistent-hash:cookie:".length()) {
                    return LoadBalancer.consistentHash(HashKey.cookie(name.trim().substring("consistent-hash:cookie:".length())));
                }
                throw new IllegalArgumentException("'" + name + "' is not a load balancer (expected: round-robin, "
                        + "weighted-round-robin, least-request, random, consistent-hash:header:NAME, "
                        + "consistent-hash:cookie:NAME, consistent-hash:client-address or consistent-hash:path)");
        }
    }

    /** A variable's trimmed value, or null when it is unset or blank. */
    public String value(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /**
     * Every set, non-blank variable whose name starts with {@code prefix} (e.g. {@code OTEL_}, for a
     * library that reads its own standard variables), values trimmed.
     */
    public Map<String, String> withPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        Map<String, String> out = new java.util.TreeMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith(prefix) && value(k) != null) {
                out.put(k, value(k));
            }
        });
        return out;
    }

    /** A comma-separated variable as trimmed, non-empty items; empty when unset. */
    public List<String> list(String name) {
        String v = value(name);
        if (v == null) {
            return List.of();
        }
        return java.util.Arrays.stream(v.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    /**
     * A boolean variable: {@code true}/{@code false} (also 1/0, yes/no, on/off), or {@code dflt} when unset.
     *
     * @throws ConfigException for any other value
     */
    public boolean bool(String name, boolean dflt) {
        String v = value(name);
        if (v == null) {
            return dflt;
        }
        switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true": case "1": case "yes": case "on":
                return true;
            case "false": case "0": case "no": case "off":
                return false;
            default:
                throw new ConfigException(name + ": '" + v + "' is not a boolean (expected: true or false)");
        }
    }

    /** A whole-number variable, or {@code dflt} when unset. @throws ConfigException if not a number */
    public int integer(String name, int dflt) {
        String v = value(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": '" + v + "' is not a whole number");
        }
    }

    /** A Go-style duration ({@code 500ms}, {@code 60s}, {@code 2m}), or {@code dflt} when unset. @throws ConfigException if malformed */
    public Duration duration(String name, Duration dflt) {
        String v = value(name);
        if (v == null) {
            return dflt;
        }
        try {
            return GoDuration.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + ": " + e.getMessage());
        }
    }

    /**
     * Runs {@code r}, which hands variable {@code name} to a builder; a validation error comes back as
     * a {@link ConfigException} prefixed with the variable and its value, so the operator knows what to fix.
     */
    public void apply(String name, Runnable r) {
        try {
            r.run();
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigException(name + "='" + env.get(name) + "': " + e.getMessage(), e);
        }
    }
}
