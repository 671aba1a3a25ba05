package dev.tollgate.middleware.jwt.internal;

import dev.tollgate.auth.Principal;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Claims forwarded to the upstream as request headers, and whether the {@code Authorization} header
 * goes on. Client-supplied copies of the claim headers are always removed first, so an upstream can
 * trust them. Immutable; IO thread.
 */
public final class Forwarding {

    private final HttpString[] headers;
    private final String[] claims;
    private final boolean keepAuthorization;

    /** @param claimToHeader claim name to header name, in order */
    public Forwarding(Map<String, String> claimToHeader, boolean keepAuthorization) {
        Map<String, String> copy = new LinkedHashMap<>(claimToHeader);
        this.claims = copy.keySet().toArray(String[]::new);
        this.headers = copy.values().stream().map(HttpString::tryFromString).toArray(HttpString[]::new);
        this.keepAuthorization = keepAuthorization;
    }

    /** Removes the client's copies of every claim header. Runs before authentication. */
    public void removeClientCopies(HttpServerExchange exchange) {
        HeaderMap h = exchange.getRequestHeaders();
        for (HttpString header : headers) {
            h.remove(header);
        }
    }

    /** Sets the claim headers from the verified principal and drops {@code Authorization} if configured. */
    public void apply(HttpServerExchange exchange, Principal principal) {
        HeaderMap h = exchange.getRequestHeaders();
        for (int i = 0; i < claims.length; i++) {
            Object value = principal.claims().get(claims[i]);
            String text = value == null ? null : headerValue(value);
            if (text != null) {
                h.put(headers[i], text);
            }
        }
        if (!keepAuthorization) {
            h.remove(Headers.AUTHORIZATION);
        }
    }

    /**
     * Scalars as text, arrays comma-separated; null (not forwarded) for objects and for text outside
     * printable ASCII (control characters could split the header; Undertow would mangle the rest).
     */
    static String headerValue(Object value) {
        String text;
        if (value instanceof Collection<?> list) {
            StringBuilder sb = new StringBuilder();
            for (Object item : list) {
                if (item instanceof Collection<?> || item instanceof Map<?, ?>) {
                    return null;
                }
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(item);
            }
            text = sb.toString();
        } else if (value instanceof Map<?, ?>) {
            return null;
        } else {
            text = value.toString();
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return null;
            }
        }
        return text;
    }
}
