package dev.tollgate.middleware.headers;

import dev.tollgate.internal.Checks;
import dev.tollgate.middleware.Middleware;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Adds security headers to every response as it is committed, so they reach upstream responses, the
 * gateway's own error responses and CORS preflight answers alike. The gateway's value replaces any
 * value the upstream sent for the same header (to let an upstream choose, switch the header off here).
 * Headers that only advertise software ({@code Server}, {@code X-Powered-By}) are removed.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>Header</th><th>Default</th></tr>
 *   <tr><td>Strict-Transport-Security</td><td>{@code max-age=31536000; includeSubDomains}, only on
 *       requests that arrived over TLS ({@code exchange.getRequestScheme()} is {@code https}); never
 *       over plain HTTP, where browsers ignore it anyway</td></tr>
 *   <tr><td>X-Content-Type-Options</td><td>{@code nosniff}</td></tr>
 *   <tr><td>X-Frame-Options</td><td>{@code DENY}</td></tr>
 *   <tr><td>Referrer-Policy</td><td>{@code no-referrer}</td></tr>
 *   <tr><td>Content-Security-Policy</td><td>not set (an API gateway cannot guess a page's policy)</td></tr>
 *   <tr><td>Permissions-Policy</td><td>not set</td></tr>
 *   <tr><td>removed</td><td>{@code Server}, {@code X-Powered-By}</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe. The commit listener runs on the thread that commits the response
 * (usually the IO thread) and never blocks.
 */
public final class SecurityHeaders implements Middleware {

    static final HttpString HSTS = HttpString.tryFromString("Strict-Transport-Security");
    private static final SecurityHeaders DEFAULTS = builder().build();

    private final HttpString[] names;
    private final String[] values;
    private final String hsts;
    private final HttpString[] removed;

    private SecurityHeaders(Builder b) {
        List<HttpString> n = new ArrayList<>();
        List<String> v = new ArrayList<>();
        add(n, v, "X-Content-Type-Options", b.contentTypeOptions ? "nosniff" : null);
        add(n, v, "X-Frame-Options", b.frameOptions);
        add(n, v, "Referrer-Policy", b.referrerPolicy);
        add(n, v, "Content-Security-Policy", b.contentSecurityPolicy);
        add(n, v, "Permissions-Policy", b.permissionsPolicy);
        this.names = n.toArray(HttpString[]::new);
        this.values = v.toArray(String[]::new);
        this.hsts = b.hstsMaxAge == null ? null
                : "max-age=" + b.hstsMaxAge.toSeconds() + (b.hstsIncludeSubDomains ? "; includeSubDomains" : "")
                        + (b.hstsPreload ? "; preload" : "");
        this.removed = b.removed.stream().map(HttpString::tryFromString).toArray(HttpString[]::new);
    }

    private static void add(List<HttpString> names, List<String> values, String name, String value) {
        if (value != null) {
            names.add(HttpString.tryFromString(name));
            values.add(value);
        }
    }

    /** The safe defaults (see the class comment). */
    public static SecurityHeaders defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The {@code Strict-Transport-Security} value sent over TLS, or null when switched off. */
    public String hsts() {
        return hsts;
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        Objects.requireNonNull(next, "next");
        return exchange -> {
            exchange.addResponseCommitListener(this::apply);
            next.handleRequest(exchange);
        };
    }

    private void apply(HttpServerExchange exchange) {
        HeaderMap headers = exchange.getResponseHeaders();
        for (HttpString name : removed) {
            headers.remove(name);
        }
        for (int i = 0; i < names.length; i++) {
            headers.put(names[i], values[i]);
        }
        if (hsts == null) {
            return;
        }
        if ("https".equals(exchange.getRequestScheme())) {
            headers.put(HSTS, hsts);
        } else {
            // the gateway's listener is what the client sees: over plain HTTP an upstream's HSTS is wrong
            headers.remove(HSTS);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SecurityHeaders[");
        for (int i = 0; i < names.length; i++) {
            sb.append(names[i]).append('=').append(values[i]).append(", ");
        }
        return sb.append("hsts=").append(hsts).append(", removed=").append(List.of(removed)).append(']').toString();
    }

    /** Builds {@link SecurityHeaders}; starts from the defaults. Not thread-safe. */
    public static final class Builder {
        private Duration hstsMaxAge = Duration.ofDays(365);
        private boolean hstsIncludeSubDomains = true;
        private boolean hstsPreload;
        private boolean contentTypeOptions = true;
        private String frameOptions = "DENY";
        private String referrerPolicy = "no-referrer";
        private String contentSecurityPolicy;
        private String permissionsPolicy;
        private final Set<String> removed = new LinkedHashSet<>(List.of("Server", "X-Powered-By"));

        private Builder() {
        }

        /**
         * HSTS sent on responses to requests that came over TLS. Default one year with subdomains, no
         * preload.
         *
         * @throws IllegalArgumentException if {@code maxAge} is not positive
         */
        public Builder hsts(Duration maxAge, boolean includeSubDomains, boolean preload) {
            this.hstsMaxAge = Checks.positive("securityHeaders.hsts.maxAge", maxAge);
            this.hstsIncludeSubDomains = includeSubDomains;
            this.hstsPreload = preload;
            return this;
        }

        /** No {@code Strict-Transport-Security} from the gateway; an upstream's passes unchanged. */
        public Builder noHsts() {
            this.hstsMaxAge = null;
            return this;
        }

        /** Whether to send {@code X-Content-Type-Options: nosniff}; default true. */
        public Builder contentTypeOptions(boolean nosniff) {
            this.contentTypeOptions = nosniff;
            return this;
        }

        /** The {@code X-Frame-Options} value ({@code DENY} or {@code SAMEORIGIN}), or null for none; default {@code DENY}. */
        public Builder frameOptions(String value) {
            if (value != null && !value.equalsIgnoreCase("DENY") && !value.equalsIgnoreCase("SAMEORIGIN")) {
                throw new IllegalArgumentException("securityHeaders.frameOptions: '" + value + "' (expected: DENY, SAMEORIGIN or null)");
            }
            this.frameOptions = value;
            return this;
        }

        /** The {@code Referrer-Policy} value, or null for none; default {@code no-referrer}. */
        public Builder referrerPolicy(String value) {
            this.referrerPolicy = checkValue("securityHeaders.referrerPolicy", value);
            return this;
        }

        /** The {@code Content-Security-Policy} value, or null for none (the default). */
        public Builder contentSecurityPolicy(String value) {
            this.contentSecurityPolicy = checkValue("securityHeaders.contentSecurityPolicy", value);
            return this;
        }

        /** The {@code Permissions-Policy} value, or null for none (the default). */
        public Builder permissionsPolicy(String value) {
            this.permissionsPolicy = checkValue("securityHeaders.permissionsPolicy", value);
            return this;
        }

        /**
         * Response headers to remove; replaces the default {@code Server, X-Powered-By}. Call with no
         * arguments to remove none.
         *
         * @throws IllegalArgumentException for a name that is not an HTTP token
         */
        public Builder removeHeaders(String... names) {
            Set<String> out = new LinkedHashSet<>();
            for (String name : names) {
                Objects.requireNonNull(name, "name");
                if (!Checks.isToken(name)) {
                    throw new IllegalArgumentException("securityHeaders.removeHeaders: '" + name + "' (expected: an HTTP header name)");
                }
                out.add(name);
            }
            removed.clear();
            removed.addAll(out);
            return this;
        }

        public SecurityHeaders build() {
            return new SecurityHeaders(this);
        }

        private static String checkValue(String name, String value) {
            if (value == null) {
                return null;
            }
            if (value.isBlank()) {
                throw new IllegalArgumentException(name + ": blank (expected: a value, or null for none)");
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7F || c > 0xFF) {
                    throw new IllegalArgumentException(name + ": '" + value.replaceAll("[\\r\\n]", "?")
                            + "' contains a control character (expected: a single-line header value)");
                }
            }
            return value.trim();
        }
    }
}
