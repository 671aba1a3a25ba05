package dev.tollgate.upstream;

import dev.tollgate.tls.UpstreamTls;
import dev.tollgate.resilience.Bulkhead;
import dev.tollgate.resilience.CircuitBreakerPolicy;
import dev.tollgate.resilience.Fallback;
import dev.tollgate.resilience.RetryPolicy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The spec of a named upstream: its initial endpoints and whether readiness depends on it.
 * Immutable and thread-safe; build one with {@link #builder(String)}. The gateway turns each spec
 * into an {@link UpstreamPool} whose endpoints can change at run time.
 */
public final class Upstream {

    private final String name;
    private final List<Endpoint> endpoints;
    private final boolean required;
    private final LoadBalancer loadBalancer;
    private final HealthCheck healthCheck;
    private final OutlierDetection outlierDetection;
    private final NoneHealthy whenNoneHealthy;
    private final UpstreamTls tls;
    private final CircuitBreakerPolicy circuitBreaker;
    private final CircuitBreakerPolicy endpointCircuitBreaker;
    private final RetryPolicy retry;
    private final Bulkhead bulkhead;
    private final Fallback fallback;

    private Upstream(Builder b) {
        this.name = b.name;
        this.endpoints = List.copyOf(b.endpoints);
        this.required = b.required;
        this.loadBalancer = b.loadBalancer;
        this.healthCheck = b.healthCheck;
        this.outlierDetection = b.outlierDetection;
        this.whenNoneHealthy = b.whenNoneHealthy;
        this.tls = b.tls;
        this.circuitBreaker = b.circuitBreaker;
        this.endpointCircuitBreaker = b.endpointCircuitBreaker;
        this.retry = b.retry;
        this.bulkhead = b.bulkhead;
        this.fallback = b.fallback;
    }

    /**
     * Starts a spec.
     *
     * @param name unique name routes refer to; letters, digits, '.', '_' and '-'
     * @throws IllegalArgumentException if the name is empty or has other characters
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    /** The endpoints the upstream starts with, in the order given. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    /** Whether {@code /ready} requires one of its endpoints to be reachable. Default true. */
    public boolean required() {
        return required;
    }

    /** How requests are spread over the endpoints. Default {@link LoadBalancer#weightedRoundRobin()}. */
    public LoadBalancer loadBalancer() {
        return loadBalancer;
    }

    /** The active health check, if any. Default: none. */
    public Optional<HealthCheck> healthCheck() {
        return Optional.ofNullable(healthCheck);
    }

    /** Passive outlier detection. Default {@link OutlierDetection#ofDefaults()}. */
    public OutlierDetection outlierDetection() {
        return outlierDetection;
    }

    /**
     * What happens when no endpoint is available. Default {@link NoneHealthy#PANIC}: a single-endpoint
     * upstream whose only endpoint was ejected keeps being served rather than failing every request.
     */
    public NoneHealthy whenNoneHealthy() {
        return whenNoneHealthy;
    }

    /**
     * TLS for the {@code https} endpoints. Default: none, so such endpoints are checked against the
     * JDK's default trust store, with hostname verification, and no client certificate is sent.
     */
    public Optional<UpstreamTls> tls() {
        return Optional.ofNullable(tls);
        }

    /** The breaker of the whole upstream. Default {@link CircuitBreakerPolicy#ofDefaults()}. */
    public CircuitBreakerPolicy circuitBreaker() {
        return circuitBreaker;
    }

    /** The breaker each endpoint gets. Default {@link CircuitBreakerPolicy#disabled()} (outlier detection ejects endpoints). */
    public CircuitBreakerPolicy endpointCircuitBreaker() {
        return endpointCircuitBreaker;
    }

    /** Retries of requests to this upstream. Default {@link RetryPolicy#ofDefaults()}. */
    public RetryPolicy retry() {
        return retry;
    }

    /** The cap on requests in flight, if any. Default: none. */
    public Optional<Bulkhead> bulkhead() {
        return Optional.ofNullable(bulkhead);
    }

    /** What requests get when the breaker is open or all attempts failed, if anything. Default: none (problem+json). */
    public Optional<Fallback> fallback() {
        return Optional.ofNullable(fallback);
    }

    @Override
    public String toString() {
        return "Upstream[" + name + " " + endpoints + " " + loadBalancer + "]";
    }

    /** Builds an {@link Upstream}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final List<Endpoint> endpoints = new ArrayList<>();
        private boolean required = true;
        private LoadBalancer loadBalancer = LoadBalancer.weightedRoundRobin();
        private HealthCheck healthCheck;
        private OutlierDetection outlierDetection = OutlierDetection.ofDefaults();
        private NoneHealthy whenNoneHealthy = NoneHealthy.PANIC;
        private UpstreamTls tls;
        private CircuitBreakerPolicy circuitBreaker = CircuitBreakerPolicy.ofDefaults();
        private CircuitBreakerPolicy endpointCircuitBreaker = CircuitBreakerPolicy.disabled();
        private RetryPolicy retry = RetryPolicy.ofDefaults();
        private Bulkhead bulkhead;
        private Fallback fallback;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("upstream.name: '" + name + "' (expected: letters, digits, '.', '_' or '-')");
            }
            this.name = name;
        }

        /** Adds an endpoint with weight 1. @throws IllegalArgumentException for a bad URI */
        public Builder endpoint(String uri) {
            return endpoint(Endpoint.of(uri, 1));
        }

        /** Adds an endpoint with a weight. @throws IllegalArgumentException for a bad URI or weight */
        public Builder endpoint(String uri, int weight) {
            return endpoint(Endpoint.of(uri, weight));
        }

        /** Adds an endpoint with weight 1. */
        public Builder endpoint(URI uri) {
            return endpoint(Endpoint.of(uri, 1));
        }

        /** Adds an endpoint. */
        public Builder endpoint(Endpoint endpoint) {
            endpoints.add(Objects.requireNonNull(endpoint, "endpoint"));
            return this;
        }

        /** Whether readiness depends on this upstream. Default true. */
        public Builder required(boolean required) {
            this.required = required;
            return this;
        }

        /** How requests are spread over the endpoints. Default {@link LoadBalancer#weightedRoundRobin()}. */
        public Builder loadBalancer(LoadBalancer loadBalancer) {
            this.loadBalancer = Objects.requireNonNull(loadBalancer, "loadBalancer");
            return this;
        }

        /** Checks every endpoint actively; unhealthy endpoints get no traffic. Default: no active check. */
        public Builder healthCheck(HealthCheck healthCheck) {
            this.healthCheck = Objects.requireNonNull(healthCheck, "healthCheck");
            return this;
        }

        /** Like {@link #healthCheck(HealthCheck)}. */
        public Builder healthCheck(HealthCheck.Builder healthCheck) {
            return healthCheck(healthCheck.build());
        }

        /** Passive ejection of failing endpoints. Default {@link OutlierDetection#ofDefaults()} (on). */
        public Builder outlierDetection(OutlierDetection outlierDetection) {
            this.outlierDetection = Objects.requireNonNull(outlierDetection, "outlierDetection");
            return this;
        }

        /** Like {@link #outlierDetection(OutlierDetection)}. */
        public Builder outlierDetection(OutlierDetection.Builder outlierDetection) {
            return outlierDetection(outlierDetection.build());
        }

        /** What to do when no endpoint is available. Default {@link NoneHealthy#PANIC}. */
        public Builder whenNoneHealthy(NoneHealthy choice) {
            this.whenNoneHealthy = Objects.requireNonNull(choice, "whenNoneHealthy");
            return this;
        }

        /** TLS for the {@code https} endpoints: trust, client certificate, hostname verification. Default: the JDK's trust. */
        public Builder tls(UpstreamTls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** Like {@link #tls(UpstreamTls)}. */
        public Builder tls(UpstreamTls.Builder tls) {
            return tls(tls.build());
        }

        /** The breaker of the whole upstream. Default {@link CircuitBreakerPolicy#ofDefaults()}. */
        public Builder circuitBreaker(CircuitBreakerPolicy policy) {
            this.circuitBreaker = Objects.requireNonNull(policy, "circuitBreaker");
            return this;
        }

        /** Like {@link #circuitBreaker(CircuitBreakerPolicy)}. */
        public Builder circuitBreaker(CircuitBreakerPolicy.Builder policy) {
            return circuitBreaker(policy.build());
        }

        /**
         * A breaker per endpoint: an endpoint whose breaker is open is skipped by the attempts (and gets
         * only the half-open probes later). Default {@link CircuitBreakerPolicy#disabled()}.
         */
        public Builder endpointCircuitBreaker(CircuitBreakerPolicy policy) {
            this.endpointCircuitBreaker = Objects.requireNonNull(policy, "endpointCircuitBreaker");
            return this;
        }

        /** Like {@link #endpointCircuitBreaker(CircuitBreakerPolicy)}. */
        public Builder endpointCircuitBreaker(CircuitBreakerPolicy.Builder policy) {
            return endpointCircuitBreaker(policy.build());
        }

        /** Retries of requests to this upstream. Default {@link RetryPolicy#ofDefaults()}. */
        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /** Like {@link #retry(RetryPolicy)}. */
        public Builder retry(RetryPolicy.Builder retry) {
            return retry(retry.build());
        }

        /** Caps the requests in flight to this upstream. Default: no cap. */
        public Builder bulkhead(Bulkhead bulkhead) {
            this.bulkhead = Objects.requireNonNull(bulkhead, "bulkhead");
            return this;
        }

        /** What requests get when the breaker is open or all attempts failed. Default: a problem response. */
        public Builder fallback(Fallback fallback) {
            this.fallback = Objects.requireNonNull(fallback, "fallback");
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalStateException if there is no endpoint or an endpoint URI is listed twice
         */
        public Upstream build() {
            if (endpoints.isEmpty()) {
                throw new IllegalStateException("upstream '" + name + "': no endpoints (expected: at least one)");
            }
            checkDistinct(name, endpoints);
            return new Upstream(this);
        }
    }

    static void checkDistinct(String name, List<Endpoint> endpoints) {
        java.util.Set<URI> seen = new java.util.HashSet<>();
        for (Endpoint e : endpoints) {
            if (!seen.add(e.uri())) {
                throw new IllegalStateException("upstream '" + name + "': endpoint " + e.uri() + " is listed twice");
            }
        }
    }
}
