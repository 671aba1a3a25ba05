package dev.tollgate.middleware.logging.internal;

import dev.tollgate.observe.AttemptOutcome;
import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

import java.util.Arrays;

/**
 * What the logs need to remember about one request between its events: the attempts (endpoint,
 * outcome, status, duration), when the first began, and the body captures. Created on the first
 * attempt or by the capture middleware, so a request that needs none pays nothing. Its events are
 * ordered by Undertow (one thread at a time), so it needs no locking.
 */
public final class RequestRecord {

    private static final AttachmentKey<RequestRecord> KEY = AttachmentKey.create(RequestRecord.class);

    private long firstAttemptStartNanos;
    private int started;
    private String upstream;
    private Endpoint endpoint;
    private int completed;
    private Endpoint[] endpoints = new Endpoint[2];
    private AttemptOutcome[] outcomes = new AttemptOutcome[2];
    private int[] statuses = new int[2];
    private long[] nanos = new long[2];
    private long upstreamNanos;
    private boolean upstreamResponded;
    private CaptureConduits.Source requestBody;
    private CaptureConduits.Sink responseBody;

    /** The record of {@code exchange}, or null when none was needed. */
    public static RequestRecord of(HttpServerExchange exchange) {
        return exchange.getAttachment(KEY);
    }

    /** The record of {@code exchange}, created when missing. */
    public static RequestRecord ensure(HttpServerExchange exchange) {
        RequestRecord r = exchange.getAttachment(KEY);
        if (r == null) {
            r = new RequestRecord();
            exchange.putAttachment(KEY, r);
        }
        return r;
    }

    public void attemptStarted(String upstream, Endpoint endpoint, long nowNanos) {
        if (started++ == 0) {
            firstAttemptStartNanos = nowNanos;
        }
        this.upstream = upstream;
        this.endpoint = endpoint;
    }

    public void attemptCompleted(String upstream, Endpoint endpoint, AttemptOutcome outcome, int status, long durationNanos) {
        if (completed == endpoints.length) {
            int n = completed * 2;
            endpoints = Arrays.copyOf(endpoints, n);
            outcomes = Arrays.copyOf(outcomes, n);
            statuses = Arrays.copyOf(statuses, n);
            nanos = Arrays.copyOf(nanos, n);
        }
        endpoints[completed] = endpoint;
        outcomes[completed] = outcome;
        statuses[completed] = status;
        nanos[completed] = durationNanos;
        completed++;
        upstreamNanos += durationNanos;
        this.upstream = upstream;
        if (endpoint != null) {
            this.endpoint = endpoint;
        }
        if (outcome == AttemptOutcome.RESPONSE) {
            upstreamResponded = true;
        }
    }

    /** Attempts begun (at least the number completed: a gate may report one that never began). */
    public int attempts() {
        return Math.max(started, completed);
    }

    public int completedAttempts() {
        return completed;
    }

    /** Nanotime of the first attempt's start, or 0 when none began. */
    public long firstAttemptStartNanos() {
        return firstAttemptStartNanos;
    }

    public String upstream() {
        return upstream;
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public long upstreamNanos() {
        return upstreamNanos;
    }

    public boolean upstreamResponded() {
        return upstreamResponded;
    }

    public Endpoint endpoint(int i) {
        return endpoints[i];
    }

    public AttemptOutcome outcome(int i) {
        return outcomes[i];
    }

    public int status(int i) {
        return statuses[i];
    }

    public long nanos(int i) {
        return nanos[i];
    }

    public CaptureConduits.Source requestBody() {
        return requestBody;
    }

    public void requestBody(CaptureConduits.Source source) {
        this.requestBody = source;
    }

    public CaptureConduits.Sink responseBody() {
        return responseBody;
    }

    public void responseBody(CaptureConduits.Sink sink) {
        this.responseBody = sink;
    }
}
