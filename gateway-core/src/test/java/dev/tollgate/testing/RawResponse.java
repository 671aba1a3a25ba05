package dev.tollgate.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.List;
import java.util.Map;

/**
 * One HTTP/1.x response as {@link RawHttp} parsed it off the wire, with nothing normalised away.
 */
public final class RawResponse {

    private final String statusLine;
    private final int status;
    private final Map<String, List<String>> headers;
    private final byte[] body;
    private final Map<String, List<String>> trailers;
    private final boolean chunked;

    RawResponse(String statusLine, int status, Map<String, List<String>> headers, byte[] body,
                Map<String, List<String>> trailers, boolean chunked) {
        this.statusLine = statusLine;
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.trailers = trailers;
        this.chunked = chunked;
    }

    /** The status line as sent, e.g. {@code HTTP/1.1 400 Bad Request}. */
    public String statusLine() {
        return statusLine;
    }

    /** The status code. */
    public int status() {
        return status;
    }

    /** Response headers: case-insensitive names, values in arrival order, unmodifiable. */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** The first value of a header (any case), or {@code null} when absent. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The body, decoded from chunks if it was chunked, as UTF-8 text. */
    public String body() {
        return new String(body, UTF_8);
    }

    /** The body bytes, decoded from chunks if it was chunked (a copy). */
    public byte[] bodyBytes() {
        return body.clone();
    }

    /** Trailers after a chunked body; empty otherwise. */
    public Map<String, List<String>> trailers() {
        return trailers;
    }

    /** The first value of a trailer (any case), or {@code null} when absent. */
    public String trailer(String name) {
        List<String> values = trailers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Whether the body came with {@code Transfer-Encoding: chunked}. */
    public boolean chunked() {
        return chunked;
    }

    @Override
    public String toString() {
        return statusLine + " " + headers + " (" + body.length + " body bytes)";
    }
}
