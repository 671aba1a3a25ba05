package dev.tollgate.middleware.jwt.internal;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;

import java.util.Map;

/**
 * Bearer tokens on the wire (RFC 6750): reading the {@code Authorization} header, the cheap checks a
 * token must pass before any parser sees it, and the refusals with their {@code WWW-Authenticate}
 * challenges. Stateless; any thread.
 */
public final class Bearer {

    /** No credentials at all: RFC 6750 3.1 says the challenge then carries no error code. */
    public static final Outcome.Denied MISSING =
            new Outcome.Denied(Problem.UNAUTHORIZED.withDetail("a bearer token is required"), "Bearer");

    private static final int MAX_DESCRIPTION = 200;

    private Bearer() {
    }

    /**
     * The request's bearer token, or a refusal: {@link #MISSING} without an {@code Authorization}
     * header or with another scheme, {@code invalid_request} (400) for several headers or an empty token.
     *
     * @return a {@code String} token or an {@link Outcome.Denied}
     */
    public static Object token(HttpServerExchange exchange) {
        HeaderValues values = exchange.getRequestHeaders().get(Headers.AUTHORIZATION);
        if (values == null || values.isEmpty()) {
            return MISSING;
        }
        if (values.size() > 1) {
            return invalidRequest("more than one Authorization header");
        }
        String value = values.getFirst();
        if (value.length() < 6 || !value.regionMatches(true, 0, "Bearer", 0, 6)) {
            return MISSING;
        }
        if (value.length() == 6) {
            return invalidRequest("the bearer token is empty");
        }
        if (value.charAt(6) != ' ') {
            return MISSING;
        }
        String token = value.substring(7).trim();
        return token.isEmpty() ? invalidRequest("the bearer token is empty") : token;
    }

    /**
     * The reason a JWS compact serialization is malformed, or null when it has the shape: at most
     * {@code maxLength} characters, three non-empty segments of base64url characters without padding.
     */
    public static String precheckJwt(String token, int maxLength) {
        if (token.length() > maxLength) {
            return "the token is longer than " + maxLength + " characters";
        }
        int dots = 0;
        int segmentStart = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                if (i == segmentStart) {
                    return "the token has an empty segment";
                }
                dots++;
                segmentStart = i + 1;
            } else if (!isBase64Url(c)) {
                return "the token is not three base64url segments";
            }
        }
        if (dots != 2) {
            return "the token is not three base64url segments";
        }
        if (segmentStart == token.length()) {
            return "the token has an empty segment";
        }
        return null;
    }

    /** The reason an opaque token is malformed (RFC 6750 b64token, length), or null. */
    public static String precheckOpaque(String token, int maxLength) {
        if (token.length() > maxLength) {
            return "the token is longer than " + maxLength + " characters";
        }
        int i = 0;
        for (; i < token.length(); i++) {
            char c = token.charAt(i);
            if (!isBase64Url(c) && c != '.' && c != '~' && c != '+' && c != '/') {
                break;
            }
        }
        for (; i < token.length(); i++) {
            if (token.charAt(i) != '=') {
                return "the token has characters a bearer token cannot have";
            }
        }
        return null;
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    /** 401 {@code invalid_token}: the client should get a new token. */
    public static Outcome.Denied invalidToken(String description) {
        String d = sanitize(description);
        return new Outcome.Denied(Problem.UNAUTHORIZED.withDetail(d),
                "Bearer error=\"invalid_token\", error_description=\"" + d + "\"");
    }

    /** 400 {@code invalid_request}. */
    public static Outcome.Denied invalidRequest(String description) {
        String d = sanitize(description);
        return new Outcome.Denied(Problem.BAD_REQUEST.withDetail(d),
                "Bearer error=\"invalid_request\", error_description=\"" + d + "\"");
    }

    /** 403 {@code insufficient_scope}; {@code scope} (space-separated) is what the resource needs, or null. */
    public static Outcome.Denied insufficientScope(String description, String scope) {
        String d = sanitize(description);
        return new Outcome.Denied(Problem.FORBIDDEN.withDetail(d),
                "Bearer error=\"insufficient_scope\", error_description=\"" + d + "\""
                        + (scope == null ? "" : ", scope=\"" + sanitize(scope) + "\""));
    }

    /** 503: the credentials cannot be checked now (no keys, introspection down); never fails open. */
    public static Outcome.Denied unavailable(String description) {
        return new Outcome.Denied(Problem.AUTH_UNAVAILABLE.withDetail(sanitize(description)), null);
    }

    /** Ends the exchange with the refusal. Any thread that may respond on the exchange. */
    public static void respond(HttpServerExchange exchange, Outcome.Denied denied) {
        ProblemResponder.send(exchange, denied.problem(),
                denied.challenge() == null ? Map.of() : Map.of("WWW-Authenticate", denied.challenge()));
    }

    /** Only the characters RFC 6750 allows in a quoted challenge value (no quote, no backslash), capped. */
    static String sanitize(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_DESCRIPTION));
        for (int i = 0; i < s.length() && sb.length() < MAX_DESCRIPTION; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? c : '?');
        }
        return sb.toString();
    }
}
