package dev.tollgate.testing;

import java.util.List;
import java.util.Map;

/**
 * One request as a {@link TestBackend} received it, so a test can check what the gateway forwarded.
 *
 * @param method the request method, e.g. {@code GET}
 * @param path the request path exactly as it arrived on the wire (not decoded), without the query
 * @param query the raw query string without {@code ?}; empty when there was none
 * @param headers request headers; case-insensitive names, values in arrival order, unmodifiable
 * @param bodyBytes number of body bytes received, or {@code -1} when a custom handler owned the body
 * @param trailers request trailers (chunked requests only); empty when there were none
 */
public record RecordedRequest(
        String method,
        String path,
        String query,
        Map<String, List<String>> headers,
        long bodyBytes,
        Map<String, List<String>> trailers) {

    /** The path plus {@code ?query} when there was a query. */
    public String uri() {
        return query.isEmpty() ? path : path + "?" + query;
    }

    /** The first value of a request header (any case), or {@code null} when absent. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The first value of a request trailer (any case), or {@code null} when absent. */
    public String trailer(String name) {
        List<String> values = trailers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
