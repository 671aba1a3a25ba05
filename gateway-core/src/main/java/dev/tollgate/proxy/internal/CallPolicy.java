package dev.tollgate.proxy.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.internal.Deadlines;
import dev.tollgate.resilience.Fallback;
import dev.tollgate.resilience.RetryPolicy;
import dev.tollgate.resilience.internal.Breaker;
import dev.tollgate.resilience.internal.BulkheadGate;
import dev.tollgate.resilience.internal.RetryBudget;
import dev.tollgate.upstream.Endpoint;
import dev.tollgate.upstream.UpstreamPool;
import io.undertow.util.HttpString;
import org.xnio.XnioIoThread;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the proxy engine applies to one route's calls to one upstream, compiled when the gateway is
 * built: the breaker (the upstream's, or the route's own), retries, timeouts, fallback, and the
 * upstream's shared guards. Immutable apart from the per-thread timer lists; thread-safe.
 */
final class CallPolicy {

    /** The run-time state shared by every route to one upstream. */
    static final class Guards {
        final Breaker breaker;
        final EndpointBreakers endpointBreakers;
        final RetryBudget budget = new RetryBudget();
        final BulkheadGate bulkhead;

        Guards(Breaker breaker, EndpointBreakers endpointBreakers, BulkheadGate bulkhead) {
            this.breaker = breaker;
            this.endpointBreakers = endpointBreakers;
            this.bulkhead = bulkhead;
        }
    }

    /** One breaker per endpoint of an upstream, created on first use (endpoints may change at run time). */
    static final class EndpointBreakers {
        private final ConcurrentHashMap<java.net.URI, Breaker> breakers = new ConcurrentHashMap<>();
        private final java.util.function.Function<Endpoint, Breaker> factory;

        EndpointBreakers(java.util.function.Function<Endpoint, Breaker> factory) {
            this.factory = factory;
        }

        Breaker of(Endpoint endpoint) {
            Breaker b = breakers.get(endpoint.uri());
            return b != null ? b : breakers.computeIfAbsent(endpoint.uri(), u -> factory.apply(endpoint));
        }
    }

    final UpstreamPool upstream;
    final Guards guards;
    final Breaker breaker;
    final RetryPolicy retry;
    final Fallback fallback;
    final CallPolicy fallbackPolicy;
    final long perTryNanos;
    final long deadlineNanos;
    final Problem circuitOpenProblem;
    final Problem bulkheadProblem;
    final Map<String, String> bulkheadHeaders;
    final Problem deadlineProblem;
    final Problem perTryProblem;
    final HttpString[] fallbackHeaderNames;
    final String[] fallbackHeaderValues;
    private final ConcurrentHashMap<XnioIoThread, Deadlines> perTry = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<XnioIoThread, Deadlines> deadlines = new ConcurrentHashMap<>();

    CallPolicy(UpstreamPool upstream, Guards guards, Breaker breaker, RetryPolicy retry, Fallback fallback,
               CallPolicy fallbackPolicy, long perTryNanos, long deadlineNanos) {
        this.upstream = upstream;
        this.guards = guards;
        this.breaker = breaker;
        this.retry = retry;
        this.fallback = fallback;
        this.fallbackPolicy = fallbackPolicy;
        this.perTryNanos = perTryNanos;
        this.deadlineNanos = deadlineNanos;
        String name = upstream.name();
        this.circuitOpenProblem = Problem.CIRCUIT_OPEN.withDetail("the circuit breaker of upstream '" + name + "' is open");
        this.bulkheadProblem = Problem.BULKHEAD_FULL.withDetail("upstream '" + name + "' has too many requests in flight");
        long retryAfter = guards.bulkhead == null ? 1 : Math.max(0, (guards.bulkhead.spec().retryAfter().toMillis() + 999) / 1000);
        this.bulkheadHeaders = Map.of("Retry-After", Long.toString(retryAfter));
        this.deadlineProblem = Problem.DEADLINE_EXCEEDED.withDetail("upstream '" + name + "' did not answer within the route's deadline of "
                + deadlineNanos / 1_000_000 + " ms");
        this.perTryProblem = Problem.UPSTREAM_TIMEOUT.withDetail("upstream '" + name + "' did not answer within "
                + perTryNanos / 1_000_000 + " ms");
        int n = fallback == null ? 0 : fallback.headers().size();
        this.fallbackHeaderNames = new HttpString[n];
        this.fallbackHeaderValues = new String[n];
        if (n > 0) {
            int i = 0;
            for (Map.Entry<String, String> e : fallback.headers().entrySet()) {
                fallbackHeaderNames[i] = HttpString.tryFromString(e.getKey());
                fallbackHeaderValues[i++] = e.getValue();
            }
        }
    }

    /** Whether an upstream status counts as a failure of the breaker in force (the fallback then applies). */
    boolean breakerFailure(int status) {
        return breaker != null && breaker.policy().isFailure(dev.tollgate.observe.AttemptOutcome.RESPONSE, status);
    }

    /** The per-try timeouts of this policy on {@code thread}. Call on that thread. */
    Deadlines perTry(XnioIoThread thread) {
        Deadlines d = perTry.get(thread);
        return d != null ? d : perTry.computeIfAbsent(thread, t -> new Deadlines(t, perTryNanos));
    }

    /** The route deadlines of this policy on {@code thread}. Call on that thread. */
    Deadlines deadlines(XnioIoThread thread) {
        Deadlines d = deadlines.get(thread);
        return d != null ? d : deadlines.computeIfAbsent(thread, t -> new Deadlines(t, deadlineNanos));
    }
}
