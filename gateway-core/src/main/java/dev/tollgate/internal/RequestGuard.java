package dev.tollgate.internal;

import dev.tollgate.Limits;
import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Protocols;

import java.util.Locale;

/**
 * Rejects requests whose framing is malformed or ambiguous before anything is proxied: the shapes
 * request smuggling is made of. Undertow's parser already refuses many; this closes the rest, and
 * the limits the gateway promises (431, 413). A rejected request's connection is closed, since the
 * position of the next request on it cannot be trusted. Runs on the IO thread.
 */
public final class RequestGuard implements HttpHandler {

    private final HttpHandler next;
    private final Limits limits;

    public RequestGuard(HttpHandler next, Limits limits) {
        this.next = next;
        this.limits = limits;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        Problem problem = check(exchange, limits);
        if (problem != null) {
            exchange.setPersistent(false);
            ProblemResponder.send(exchange, problem);
            return;
        }
        if (limits.maxRequestBodyBytes() > 0) {
            // enforced while streaming for bodies without a declared length
            exchange.setMaxEntitySize(limits.maxRequestBodyBytes());
        }
        next.handleRequest(exchange);
    }

    /** The problem with the request's framing, or null when it may proceed. */
    static Problem check(HttpServerExchange exchange, Limits limits) {
        HeaderMap headers = exchange.getRequestHeaders();
        int count = 0;
        long bytes = 0;
        for (HeaderValues values : headers) {
            int nameLength = values.getHeaderName().length();
            for (String v : values) {
                count++;
                bytes += nameLength + v.length() + 4;
                if (hasLineBreak(v)) {
                    return Problem.BAD_REQUEST.withDetail("a header value contains a line break (obsolete line folding is not accepted)");
                }
            }
        }
        if (count > limits.maxHeaderCount()) {
            return Problem.HEADERS_TOO_LARGE.withDetail("the request has " + count + " header fields (limit " + limits.maxHeaderCount() + ")");
        }
        if (bytes > limits.maxHeaderBytes()) {
            return Problem.HEADERS_TOO_LARGE.withDetail("the request headers have " + bytes + " bytes (limit " + limits.maxHeaderBytes() + ")");
        }

        boolean http11 = exchange.getProtocol().equals(Protocols.HTTP_1_1);
        HeaderValues host = headers.get(Headers.HOST);
        if (host != null && host.size() > 1) {
            return Problem.BAD_REQUEST.withDetail("the request has more than one Host header");
        }
        if (http11 && (host == null || host.getFirst().isBlank()) && !exchange.isHostIncludedInRequestURI()) {
            return Problem.BAD_REQUEST.withDetail("an HTTP/1.1 request needs a Host header");
        }
        if (host != null && !validHost(host.getFirst())) {
            return Problem.BAD_REQUEST.withDetail("the Host header is not a valid host[:port]");
        }

        HeaderValues te = headers.get(Headers.TRANSFER_ENCODING);
        HeaderValues cl = headers.get(Headers.CONTENT_LENGTH);
        if (te != null && cl != null) {
            return Problem.BAD_REQUEST.withDetail("the request has both Content-Length and Transfer-Encoding");
        }
        if (cl != null) {
            if (cl.size() > 1) {
                return Problem.BAD_REQUEST.withDetail("the request has more than one Content-Length");
            }
            String v = cl.getFirst().trim();
            if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return Problem.BAD_REQUEST.withDetail("Content-Length is not a non-negative integer");
            }
            long length = Long.parseLong(v);
            if (limits.maxRequestBodyBytes() > 0 && length > limits.maxRequestBodyBytes()) {
                return Problem.BODY_TOO_LARGE.withDetail("the request body has " + length + " bytes (limit "
                        + limits.maxRequestBodyBytes() + ")");
            }
        }
        if (te != null) {
            if (!http11) {
                return Problem.BAD_REQUEST.withDetail("Transfer-Encoding is only allowed in HTTP/1.1 requests");
            }
            String[] codings = String.join(",", te).split(",");
            String last = codings[codings.length - 1].trim().toLowerCase(Locale.ROOT);
            if (!last.equals("chunked")) {
                return Problem.BAD_REQUEST.withDetail("Transfer-Encoding must end with chunked");
            }
            if (codings.length > 1) {
                for (int i = 0; i < codings.length - 1; i++) {
                    if (codings[i].trim().equalsIgnoreCase("chunked")) {
                        return Problem.BAD_REQUEST.withDetail("Transfer-Encoding applies chunked more than once");
                    }
                }
                return Problem.NOT_IMPLEMENTED.withDetail("transfer codings other than chunked are not supported");
            }
        }
        return null;
    }

    private static boolean hasLineBreak(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean validHost(String h) {
        if (h.isEmpty() || h.length() > 255) {
            return false;
        }
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
