package dev.tollgate.error;

import java.util.Objects;

/**
 * An error the gateway answers itself, rendered as RFC 9457 {@code application/problem+json}.
 *
 * <p>The {@code type} is {@value #TYPE_BASE} followed by the short {@link #code()}; both are stable and
 * documented in the README, so clients can match on them. Instances are immutable and thread-safe.
 */
public final class Problem {

    /** Prefix of every problem {@code type} URI. */
    public static final String TYPE_BASE = "https://tollgate.dev/problems/";

    public static final Problem BAD_REQUEST = of(400, "bad-request", "Bad Request");
    public static final Problem UNKNOWN_VERSION = of(400, "unknown-api-version", "Unknown API version");
    public static final Problem UNAUTHORIZED = of(401, "unauthorized", "Unauthorized");
    public static final Problem FORBIDDEN = of(403, "forbidden", "Forbidden");
    public static final Problem NO_ROUTE = of(404, "no-route", "No route matches the request");
    public static final Problem METHOD_NOT_ALLOWED = of(405, "method-not-allowed", "Method not allowed on this route");
    public static final Problem REQUEST_TIMEOUT = of(408, "request-timeout", "The request was not received in time");
    public static final Problem BODY_TOO_LARGE = of(413, "body-too-large", "Request body too large");
    public static final Problem TOO_MANY_REQUESTS = of(429, "rate-limited", "Too many requests");
    public static final Problem HEADERS_TOO_LARGE = of(431, "headers-too-large", "Request header fields too large");
    public static final Problem INTERNAL = of(500, "internal", "Internal gateway error");
    public static final Problem NOT_IMPLEMENTED = of(501, "not-implemented", "Not implemented");
    public static final Problem UPSTREAM_UNREACHABLE = of(502, "upstream-unreachable", "The upstream could not be reached");
    public static final Problem UPSTREAM_BAD_RESPONSE = of(502, "upstream-bad-response", "The upstream failed while answering");
    public static final Problem UNAVAILABLE = of(503, "unavailable", "Service unavailable");
    public static final Problem AUTH_UNAVAILABLE = of(503, "auth-unavailable", "Credentials cannot be verified right now");
    public static final Problem NO_HEALTHY_ENDPOINT = of(503, "no-healthy-endpoint", "No healthy endpoint of the upstream");
    public static final Problem CIRCUIT_OPEN = of(503, "circuit-open", "The upstream's circuit breaker is open");
    public static final Problem BULKHEAD_FULL = of(503, "bulkhead-full", "Too many requests in flight to the upstream");
    public static final Problem DEADLINE_EXCEEDED = of(504, "deadline-exceeded", "The route's deadline passed");
    public static final Problem UPSTREAM_TIMEOUT = of(504, "upstream-timeout", "The upstream did not answer in time");

    private final int status;
    private final String code;
    private final String title;
    private final String detail;

    private Problem(int status, String code, String title, String detail) {
        this.status = status;
        this.code = code;
        this.title = title;
        this.detail = detail;
    }

    /**
     * A problem with no detail.
     *
     * @param status HTTP status, 400 to 599
     * @param code short stable code, lower-case letters, digits and '-'
     * @param title short human summary that does not change between occurrences
     * @throws IllegalArgumentException if status or code is out of range
     */
    public static Problem of(int status, String code, String title) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("problem.status: " + status + " (expected: 400..599)");
        }
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(title, "title");
        if (!code.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("problem.code: '" + code + "' (expected: lower-case letters, digits and '-')");
        }
        return new Problem(status, code, title, null);
    }

    /** A copy with this occurrence's explanation; never put secrets or stack traces in it. */
    public Problem withDetail(String detail) {
        return new Problem(status, code, title, detail);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String type() {
        return TYPE_BASE + code;
    }

    public String title() {
        return title;
    }

    /** The occurrence's explanation, or null. */
    public String detail() {
        return detail;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Problem p && p.status == status && p.code.equals(code)
                && p.title.equals(title) && Objects.equals(p.detail, detail);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, code, title, detail);
    }

    @Override
    public String toString() {
        return status + " " + code + (detail == null ? "" : ": " + detail);
    }
}
