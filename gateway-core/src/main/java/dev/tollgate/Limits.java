package dev.tollgate;

import dev.tollgate.internal.Checks;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits on what clients may send, and how long they may take. Immutable and thread-safe;
 * {@link #defaults()} or {@link #builder()}.
 */
public final class Limits {

    private static final Limits DEFAULTS = builder().build();

    private final long maxRequestBodyBytes;
    private final int maxHeaderBytes;
    private final int maxHeaderCount;
    private final Duration requestParseTimeout;
    private final Duration idleTimeout;

    private Limits(Builder b) {
        this.maxRequestBodyBytes = b.maxRequestBodyBytes;
        this.maxHeaderBytes = b.maxHeaderBytes;
        this.maxHeaderCount = b.maxHeaderCount;
        this.requestParseTimeout = b.requestParseTimeout;
        this.idleTimeout = b.idleTimeout;
    }

    public static Limits defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Largest request body; a larger declared {@code Content-Length} gets 413 before any byte is read,
     * and a chunked body is cut off at the limit. 0 means no limit. Default 10 MiB.
     */
    public long maxRequestBodyBytes() {
        return maxRequestBodyBytes;
    }

    /** Largest sum of header names and values (plus 4 bytes per field); then 431. Default 32 KiB. */
    public int maxHeaderBytes() {
        return maxHeaderBytes;
    }

    /** Most header fields in a request; then 431. Default 100. */
    public int maxHeaderCount() {
        return maxHeaderCount;
    }

    /** Time for a client to send a complete request head once it starts; then the connection closes. Default 10 s. */
    public Duration requestParseTimeout() {
        return requestParseTimeout;
    }

    /**
     * How long a client connection may make no progress: idle between requests, silent in the middle
     * of a request body, or not accepting any byte of its response; then it closes. Default 60 s.
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Builds {@link Limits}. Not thread-safe. */
    public static final class Builder {
        private long maxRequestBodyBytes = 10L * 1024 * 1024;
        private int maxHeaderBytes = 32 * 1024;
        private int maxHeaderCount = 100;
        private Duration requestParseTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        public Builder maxRequestBodyBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("limits.maxRequestBodyBytes: " + bytes + " (expected: >= 0)");
            }
            this.maxRequestBodyBytes = bytes;
            return this;
        }

        public Builder maxHeaderBytes(int bytes) {
            this.maxHeaderBytes = Checks.range("limits.maxHeaderBytes", bytes, 1024, 1024 * 1024);
            return this;
        }

        public Builder maxHeaderCount(int count) {
            this.maxHeaderCount = Checks.range("limits.maxHeaderCount", count, 8, 10_000);
            return this;
        }

        public Builder requestParseTimeout(Duration timeout) {
            this.requestParseTimeout = Checks.positive("limits.requestParseTimeout", timeout);
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = Checks.positive("limits.idleTimeout", timeout);
            return this;
        }

        public Limits build() {
            return new Limits(this);
        }

    }
}
