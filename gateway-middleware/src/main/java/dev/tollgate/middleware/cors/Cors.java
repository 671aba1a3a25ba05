package dev.tollgate.middleware.cors;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.internal.Checks;
import dev.tollgate.middleware.Middleware;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * CORS by the Fetch standard. Build with {@link #builder()}.
 *
 * <h2>Preflight</h2>
 * A preflight ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}) is
 * answered here and never reaches the rest of the chain, so it needs no token: place {@code Cors}
 * <b>before</b> authentication. An allowed preflight gets {@code 204} with
 * {@code Access-Control-Allow-Origin} (the request's origin, or {@code *} for any origin without
 * credentials), {@code -Allow-Methods}, {@code -Allow-Headers} (the requested headers, each checked),
 * {@code -Max-Age}, {@code -Allow-Credentials} when enabled, and
 * {@code Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers}. A preflight
 * from an origin that is not allowed, or asking for a method or header that is not allowed, gets
 * {@code 403 application/problem+json} with code {@code cors-rejected} ({@link #REJECTED}) and no CORS
 * headers, so the browser blocks the actual request. An {@code OPTIONS} without
 * {@code Access-Control-Request-Method} is an ordinary request and goes on (through authentication).
 *
 * <h2>Actual requests</h2>
 * Every other request goes on; as its response is committed (upstream responses and the gateway's
 * own problem responses alike) any {@code Access-Control-*} headers the upstream set are removed, and
 * for an allowed origin {@code Access-Control-Allow-Origin}, {@code -Allow-Credentials} and
 * {@code -Expose-Headers} are added. {@code Vary: Origin} is added whenever the answer depends on the
 * origin. A request from an origin that is not allowed is not refused (CORS is enforced by the
 * browser, which then withholds the response from the page), but gets no CORS headers.
 *
 * <h2>Origins</h2>
 * Compared on scheme, host and port, with scheme and host lower-cased and default ports left out.
 * A pattern {@code https://*.example.com} admits one or more labels before {@code .example.com}
 * ({@code https://a.example.com}, {@code https://a.b.example.com}) on the same scheme and port, and
 * never {@code https://example.com}, {@code https://example.com.evil.com} or
 * {@code https://evilexample.com}. The opaque origin {@code null} (sandboxed frames, {@code file:}
 * pages, some redirects) is admitted only when listed explicitly. A repeated {@code Origin} header is
 * no origin.
 *
 * <p>Immutable and thread-safe; runs on the IO thread and never blocks.
 */
public final class Cors implements Middleware {

    /** The answer to a preflight that is not allowed. */
    public static final Problem REJECTED = Problem.of(403, "cors-rejected", "CORS preflight rejected");

    static final HttpString ALLOW_ORIGIN = HttpString.tryFromString("Access-Control-Allow-Origin");
    static final HttpString ALLOW_CREDENTIALS = HttpString.tryFromString("Access-Control-Allow-Credentials");
    static final HttpString ALLOW_METHODS = HttpString.tryFromString("Access-Control-Allow-Methods");
    static final HttpString ALLOW_HEADERS = HttpString.tryFromString("Access-Control-Allow-Headers");
    static final HttpString EXPOSE_HEADERS = HttpString.tryFromString("Access-Control-Expose-Headers");
    static final HttpString MAX_AGE = HttpString.tryFromString("Access-Control-Max-Age");
    static final HttpString ALLOW_PRIVATE_NETWORK = HttpString.tryFromString("Access-Control-Allow-Private-Network");
    static final HttpString REQUEST_METHOD = HttpString.tryFromString("Access-Control-Request-Method");
    static final HttpString REQUEST_HEADERS = HttpString.tryFromString("Access-Control-Request-Headers");
    private static final HttpString[] RESPONSE_HEADERS = {ALLOW_ORIGIN, ALLOW_CREDENTIALS, ALLOW_METHODS,
            ALLOW_HEADERS, EXPOSE_HEADERS, MAX_AGE, ALLOW_PRIVATE_NETWORK};
    private static final String PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

    private final Set<String> origins;
    private final List<Origin> patterns;
    private final boolean anyOrigin;
    private final boolean nullOrigin;
    private final Set<String> methods;
    private final boolean anyMethod;
    private final Set<String> headers;
    private final boolean anyHeader;
    private final String exposeHeaders;
    private final boolean credentials;
    private final String maxAge;
    private final String allowMethods;
    private final boolean varies;

    private Cors(Builder b) {
        this.origins = Set.copyOf(b.origins);
        this.patterns = List.copyOf(b.patterns);
        this.anyOrigin = b.anyOrigin;
        this.nullOrigin = b.nullOrigin;
        this.methods = Set.copyOf(b.methods);
        this.anyMethod = b.anyMethod;
        this.headers = Set.copyOf(b.headers);
        this.anyHeader = b.anyHeader;
        this.exposeHeaders = b.exposeHeaders.isEmpty() ? null : String.join(", ", b.exposeHeaders);
        this.credentials = b.credentials;
        this.maxAge = b.maxAge == null ? null : Long.toString(b.maxAge.toSeconds());
        this.allowMethods = String.join(", ", b.methods);
        // only "*" without credentials is the same answer for every origin
        this.varies = !(anyOrigin && !credentials);
    }

    /** A builder; nothing is allowed until origins are given. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that allows these origins (see {@link Builder#allowOrigins(String...)}). */
    public static Builder allowOrigins(String... origins) {
        return builder().allowOrigins(origins);
    }

    /**
     * The value of {@code Access-Control-Allow-Origin} for a request with this {@code Origin} header
     * value, or null when the origin is not allowed. Any thread.
     */
    public String allowOriginFor(String origin) {
        if (origin == null) {
            return null;
        }
        if (anyOrigin) {
            return credentials ? origin : "*";
        }
        if (origins.contains(origin)) {
            return origin;
        }
        if (origin.equals("null")) {
            return nullOrigin ? origin : null;
        }
        Origin o = Origin.parse(origin);
        if (o == null) {
            return null;
        }
        if (origins.contains(o.serialized())) {
            return origin;
        }
        for (Origin p : patterns) {
            if (p.scheme().equals(o.scheme()) && p.port() == o.port()
                    && o.host().length() > p.host().length() && o.host().endsWith(p.host())) {
                return origin;
            }
        }
        return null;
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        Objects.requireNonNull(next, "next");
        return exchange -> {
            HeaderMap request = exchange.getRequestHeaders();
            HeaderValues originValues = request.get(Headers.ORIGIN);
            String origin = originValues == null || originValues.size() != 1 ? null : originValues.getFirst();
            if (originValues != null && exchange.getRequestMethod().equals(Methods.OPTIONS) && request.contains(REQUEST_METHOD)) {
                preflight(exchange, origin);
                return;
            }
            String allowOrigin = allowOriginFor(origin);
            exchange.addResponseCommitListener(ex -> decorate(ex.getResponseHeaders(), allowOrigin));
            next.handleRequest(exchange);
        };
    }

    private void decorate(HeaderMap response, String allowOrigin) {
        // the gateway owns the CORS policy: an upstream's own headers would bypass it
        for (HttpString h : RESPONSE_HEADERS) {
            response.remove(h);
        }
        if (varies) {
            addVary(response);
        }
        if (allowOrigin != null) {
            response.put(ALLOW_ORIGIN, allowOrigin);
            if (credentials) {
                response.put(ALLOW_CREDENTIALS, "true");
            }
            if (exposeHeaders != null) {
                response.put(EXPOSE_HEADERS, exposeHeaders);
            }
        }
    }

    private static void addVary(HeaderMap response) {
        HeaderValues vary = response.get(Headers.VARY);
        if (vary != null) {
            for (String v : vary) {
                for (String item : v.split(",")) {
                    String t = item.trim();
                    if (t.equalsIgnoreCase("origin") || t.equals("*")) {
                        return;
                    }
                }
            }
        }
        response.add(Headers.VARY, "Origin");
    }

    private void preflight(HttpServerExchange exchange, String origin) {
        HeaderMap request = exchange.getRequestHeaders();
        String allowOrigin = allowOriginFor(origin);
        if (allowOrigin == null) {
            reject(exchange, "origin not allowed");
            return;
        }
        HeaderValues methodValues = request.get(REQUEST_METHOD);
        String method = methodValues.size() == 1 ? methodValues.getFirst().trim() : "";
        if (!Checks.isToken(method) || !(anyMethod || methods.contains(method))) {
            reject(exchange, "method not allowed");
            return;
        }
        List<String> asked = new ArrayList<>();
        HeaderValues headerValues = request.get(REQUEST_HEADERS);
        if (headerValues != null) {
            for (String v : headerValues) {
                for (String item : v.split(",")) {
                    String name = item.trim().toLowerCase(Locale.ROOT);
                    if (name.isEmpty()) {
                        continue;
                    }
                    if (!Checks.isToken(name) || !(anyHeader || headers.contains(name))) {
                        reject(exchange, "header not allowed");
                        return;
                    }
                    asked.add(name);
                }
            }
        }
        HeaderMap response = exchange.getResponseHeaders();
        response.put(ALLOW_ORIGIN, allowOrigin);
        if (credentials) {
            response.put(ALLOW_CREDENTIALS, "true");
        }
        response.put(ALLOW_METHODS, anyMethod ? method : allowMethods);
        if (!asked.isEmpty()) {
            response.put(ALLOW_HEADERS, String.join(", ", asked));
        }
        if (maxAge != null) {
            response.put(MAX_AGE, maxAge);
        }
        response.put(Headers.VARY, PREFLIGHT_VARY);
        exchange.setStatusCode(204);
        exchange.endExchange();
    }

    private static void reject(HttpServerExchange exchange, String why) {
        exchange.getResponseHeaders().put(Headers.VARY, PREFLIGHT_VARY);
        ProblemResponder.send(exchange, REJECTED.withDetail(why), Map.of());
    }

    @Override
    public String toString() {
        return "Cors[origins=" + (anyOrigin ? "*" : origins) + ", patterns=" + patterns.stream().map(Origin::serialized).toList()
                + (nullOrigin ? ", null" : "") + ", methods=" + (anyMethod ? "*" : methods) + ", headers=" + (anyHeader ? "*" : headers)
                + ", credentials=" + credentials + "]";
    }

    /** Builds {@link Cors}. Not thread-safe. */
    public static final class Builder {
        private final Set<String> origins = new LinkedHashSet<>();
        private final List<Origin> patterns = new ArrayList<>();
        private boolean anyOrigin;
        private boolean nullOrigin;
        private final Set<String> methods = new LinkedHashSet<>(List.of("GET", "HEAD", "POST"));
        private boolean anyMethod;
        private final Set<String> headers = new LinkedHashSet<>();
        private boolean anyHeader;
        private final Set<String> exposeHeaders = new LinkedHashSet<>();
        private boolean credentials;
        private Duration maxAge = Duration.ofMinutes(10);

        private Builder() {
        }

        /**
         * Adds exact origins such as {@code https://app.example.com} or {@code http://localhost:3000}.
         * {@code *} allows any origin; {@code null} allows the opaque origin {@code null}.
         *
         * @throws IllegalArgumentException for anything that is not {@code scheme://host[:port]}
         */
        public Builder allowOrigins(String... origins) {
            return allowOrigins(Arrays.asList(origins));
        }

        /** Like {@link #allowOrigins(String...)}; an entry containing {@code *.} is taken as a pattern. */
        public Builder allowOrigins(Collection<String> origins) {
            for (String o : Objects.requireNonNull(origins, "origins")) {
                Objects.requireNonNull(o, "origin");
                String t = o.trim();
                if (t.equals("*")) {
                    anyOrigin = true;
                } else if (t.equals("null")) {
                    nullOrigin = true;
                } else if (t.contains("*")) {
                    allowOriginPatterns(t);
                } else {
                    Origin parsed = Origin.parse(t);
                    if (parsed == null) {
                        throw new IllegalArgumentException("cors.allowOrigins: '" + o
                                + "' is not an origin (expected: scheme://host[:port] without a path, e.g. https://app.example.com)");
                    }
                    this.origins.add(parsed.serialized());
                }
            }
            return this;
        }

        /**
         * Adds subdomain patterns such as {@code https://*.example.com}: one or more labels in place of
         * {@code *}, same scheme and port. The part after {@code *.} must have at least two labels.
         *
         * @throws IllegalArgumentException for any other shape
         */
        public Builder allowOriginPatterns(String... patterns) {
            for (String p : patterns) {
                Objects.requireNonNull(p, "pattern");
                String t = p.trim();
                int star = t.indexOf("://*.");
                Origin parsed = star < 0 || t.indexOf('*', star + 4) >= 0 ? null
                        : Origin.parse(t.substring(0, star + 3) + t.substring(star + 5));
                if (parsed == null || parsed.host().startsWith("[") || parsed.host().indexOf('.') < 0) {
                    throw new IllegalArgumentException("cors.allowOriginPatterns: '" + p
                            + "' (expected: scheme://*.domain.tld[:port], e.g. https://*.example.com)");
                }
                this.patterns.add(new Origin(parsed.scheme(), "." + parsed.host(), parsed.port()));
            }
            return this;
        }

        /** Allows every origin ({@code Access-Control-Allow-Origin: *}); cannot be combined with credentials. */
        public Builder allowAnyOrigin() {
            this.anyOrigin = true;
            return this;
        }

        /** Whether the opaque origin {@code null} is allowed; default false. */
        public Builder allowNullOrigin(boolean allow) {
            this.nullOrigin = allow;
            return this;
        }

        /**
         * The methods a preflight may ask for, replacing the default {@code GET, HEAD, POST}; compared
         * exactly after upper-casing these. {@code *} allows any method.
         *
         * @throws IllegalArgumentException for a name that is not an HTTP token
         */
        public Builder allowMethods(String... methods) {
            return allowMethods(Arrays.asList(methods));
        }

        /** Like {@link #allowMethods(String...)}. */
        public Builder allowMethods(Collection<String> methods) {
            Set<String> out = new LinkedHashSet<>();
            boolean any = false;
            for (String m : Objects.requireNonNull(methods, "methods")) {
                String t = Objects.requireNonNull(m, "method").trim();
                if (t.equals("*")) {
                    any = true;
                } else {
                    out.add(token("cors.allowMethods", t).toUpperCase(Locale.ROOT));
                }
            }
            this.methods.clear();
            this.methods.addAll(out);
            this.anyMethod = any;
            return this;
        }

        /**
         * Request headers a preflight may ask for (case-insensitive); default none. {@code *} allows any
         * (the requested names are echoed, so it also works with credentials).
         *
         * @throws IllegalArgumentException for a name that is not an HTTP token
         */
        public Builder allowHeaders(String... headers) {
            return allowHeaders(Arrays.asList(headers));
        }

        /** Like {@link #allowHeaders(String...)}. */
        public Builder allowHeaders(Collection<String> headers) {
            for (String h : Objects.requireNonNull(headers, "headers")) {
                String t = Objects.requireNonNull(h, "header").trim();
                if (t.equals("*")) {
                    anyHeader = true;
                } else {
                    this.headers.add(token("cors.allowHeaders", t).toLowerCase(Locale.ROOT));
                }
            }
            return this;
        }

        /**
         * Response headers the page may read beyond the safelisted ones; default none. {@code *} (all)
         * is allowed only without credentials.
         */
        public Builder exposeHeaders(String... headers) {
            for (String h : headers) {
                String t = Objects.requireNonNull(h, "header").trim();
                exposeHeaders.add(t.equals("*") ? t : token("cors.exposeHeaders", t));
            }
            return this;
        }

        /** Whether cookies and HTTP authentication may be sent ({@code Access-Control-Allow-Credentials}); default false. */
        public Builder allowCredentials(boolean allow) {
            this.credentials = allow;
            return this;
        }

        /**
         * How long a browser may cache a preflight answer ({@code Access-Control-Max-Age}, whole seconds;
         * browsers cap it, Chromium at 2 hours); default 10 minutes. Null sends none (browsers then use 5 s).
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder maxAge(Duration maxAge) {
            if (maxAge != null && maxAge.isNegative()) {
                throw new IllegalArgumentException("cors.maxAge: " + maxAge + " (expected: >= 0, or null for none)");
            }
            this.maxAge = maxAge;
            return this;
        }

        /**
         * @throws IllegalStateException for a policy that allows no origin, or a contradictory one (any
         *                               origin or all exposed headers with credentials)
         */
        public Cors build() {
            if (!anyOrigin && !nullOrigin && origins.isEmpty() && patterns.isEmpty()) {
                throw new IllegalStateException("cors: no origin is allowed (expected: allowOrigins(...) or allowOriginPatterns(...))");
            }
            if (anyOrigin && credentials) {
                throw new IllegalStateException("cors: any origin (*) with allowCredentials(true) would let every site act as the"
                        + " user (expected: list the origins, or no credentials)");
            }
            if (credentials && exposeHeaders.contains("*")) {
                throw new IllegalStateException("cors: exposeHeaders(*) with allowCredentials(true) is not a wildcard to browsers"
                        + " (expected: name the headers)");
            }
            if (!anyMethod && methods.isEmpty()) {
                throw new IllegalStateException("cors: no method is allowed (expected: allowMethods(...) with at least one)");
            }
            return new Cors(this);
        }

        private static String token(String name, String value) {
            if (!Checks.isToken(value)) {
                throw new IllegalArgumentException(name + ": '" + value + "' (expected: an HTTP token)");
            }
            return value;
        }
    }
}
