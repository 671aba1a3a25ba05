package dev.tollgate.middleware.ratelimit.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.middleware.ratelimit.Limit;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The limits of one limiter: the bucket4j configuration they make, the decision read from a
 * consumption, and the response headers that describe it. Immutable and thread-safe.
 */
public final class Policies {

    static final HttpString RATE_LIMIT_POLICY = new HttpString("RateLimit-Policy");
    static final HttpString RATE_LIMIT = new HttpString("RateLimit");
    static final HttpString LEGACY_LIMIT = new HttpString("X-RateLimit-Limit");
    static final HttpString LEGACY_REMAINING = new HttpString("X-RateLimit-Remaining");
    static final HttpString LEGACY_RESET = new HttpString("X-RateLimit-Reset");
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Limit[] limits;
    private final BucketConfiguration configuration;
    private final String policyHeader;
    private final boolean draftHeaders;
    private final boolean legacyHeaders;
    private final long maxWindowSeconds;

    public Policies(List<Limit> limits, boolean draftHeaders, boolean legacyHeaders) {
        this.limits = limits.toArray(Limit[]::new);
        this.draftHeaders = draftHeaders;
        this.legacyHeaders = legacyHeaders;
        ConfigurationBuilder config = BucketConfiguration.builder();
        StringBuilder policy = new StringBuilder();
        long maxWindow = 1;
        for (Limit l : this.limits) {
            // greedy refill: one unit every window/quota, so no window edge admits twice the quota
            config.addLimit(Bandwidth.builder().capacity(l.burst()).refillGreedy(l.quota(), l.window()).id(l.name()).build());
            if (policy.length() > 0) {
                policy.append(", ");
            }
            policy.append('"').append(l.name()).append("\";q=").append(l.quota()).append(";w=").append(l.window().getSeconds());
            maxWindow = Math.max(maxWindow, l.window().getSeconds());
        }
        this.configuration = config.build();
        this.policyHeader = policy.toString();
        this.maxWindowSeconds = maxWindow;
    }

    public BucketConfiguration configuration() {
        return configuration;
    }

    public Limit limit(int index) {
        return limits[index];
    }

    /** The longest time any limit takes to refill from empty; at least one second. */
    public Duration longestRefill() {
        long nanos = NANOS_PER_SECOND;
        for (Limit l : limits) {
            nanos = Math.max(nanos, nanosToRefill(l, l.burst()));
        }
        return Duration.ofNanos(nanos);
    }

    /** The value of {@code RateLimit-Policy}: {@code "burst";q=100;w=1, "daily";q=10000;w=86400}. */
    public String policyHeader() {
        return policyHeader;
    }

    /** Reads a bucket4j verbose consumption into a decision. */
    Decision decide(VerboseResult<ConsumptionProbe> result, long cost) {
        ConsumptionProbe probe = result.getValue();
        long[] available = result.getDiagnostics().getAvailableTokensPerEachBandwidth();
        int deciding = 0;
        if (probe.isConsumed()) {
            for (int i = 1; i < available.length; i++) {
                if (available[i] < available[deciding]) {
                    deciding = i;
                }
            }
            return new Decision(true, deciding, available, 0, false, result.getOperationTimeNanos());
        }
        for (int i = 0; i < available.length; i++) {
            if (available[i] < cost) {
                deciding = i;
                break;
            }
        }
        return new Decision(false, deciding, available, probe.getNanosToWaitForRefill(), false,
                result.getOperationTimeNanos());
    }

    /** Seconds for {@code Retry-After}: at least 1, at most the longest window (a cost over a burst never fits). */
    public long retryAfterSeconds(Decision d) {
        long nanos = d.retryAfterNanos();
        if (nanos <= 0 || nanos == Long.MAX_VALUE) {
            return nanos <= 0 ? 1 : maxWindowSeconds;
        }
        return Math.min(maxWindowSeconds, Math.max(1, ceilSeconds(nanos)));
    }

    /** Seconds until limit {@code i} is full again, as the {@code t} parameter. */
    private long resetSeconds(Decision d, int i) {
        if (!d.allowed() && i == d.limit()) {
            return retryAfterSeconds(d);
        }
        Limit l = limits[i];
        return ceilSeconds(nanosToRefill(l, Math.max(0, l.burst() - d.remaining()[i])));
    }

    private static long nanosToRefill(Limit l, long units) {
        return (long) Math.ceil((double) units * l.window().toNanos() / l.quota());
    }

    private static long ceilSeconds(long nanos) {
        return (nanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
    }

    /** Puts the configured rate-limit headers (and {@code Retry-After} for a refusal) into {@code headers}. */
    public void writeHeaders(Decision d, HeaderMap headers) {
        if (draftHeaders) {
            headers.put(RATE_LIMIT_POLICY, policyHeader);
            StringBuilder sb = new StringBuilder(48);
            for (int i = 0; i < limits.length; i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append('"').append(limits[i].name()).append("\";r=").append(d.remaining()[i])
                        .append(";t=").append(resetSeconds(d, i));
            }
            headers.put(RATE_LIMIT, sb.toString());
        }
        if (legacyHeaders) {
            headers.put(LEGACY_LIMIT, limits[d.limit()].quota());
            headers.put(LEGACY_REMAINING, d.remaining()[d.limit()]);
            headers.put(LEGACY_RESET, resetSeconds(d, d.limit()));
        }
        if (!d.allowed()) {
            headers.put(io.undertow.util.Headers.RETRY_AFTER, retryAfterSeconds(d));
        }
    }

    /** The headers of a refusal, for {@code ProblemResponder.send}. */
    public Map<String, String> refusalHeaders(Decision d) {
        HeaderMap map = new HeaderMap();
        writeHeaders(d, map);
        Map<String, String> out = new LinkedHashMap<>();
        map.forEach(values -> out.put(values.getHeaderName().toString(), values.getFirst()));
        return out;
    }

    /** The 429 problem, naming the violated limit. */
    public Problem refusal(Decision d) {
        Limit l = limits[d.limit()];
        return Problem.TOO_MANY_REQUESTS.withDetail("rate limit '" + l.name() + "' exceeded ("
                + l.quota() + " per " + l.window().getSeconds() + " s" + (l.burst() == l.quota() ? "" : ", burst " + l.burst())
                + "); retry after " + retryAfterSeconds(d) + " s");
    }

    /** Whether the decision's response gets the headers on every response, not only refusals. */
    public boolean decorates() {
        return draftHeaders || legacyHeaders;
    }

    /** Applies the decision's headers just before the response is committed. IO thread. */
    public void decorate(HttpServerExchange exchange, Decision d) {
        if (decorates()) {
            exchange.addResponseCommitListener(ex -> writeHeaders(d, ex.getResponseHeaders()));
        }
    }

    public int size() {
        return limits.length;
    }
}
