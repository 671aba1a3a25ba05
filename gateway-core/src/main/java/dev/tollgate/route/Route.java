package dev.tollgate.route;

import dev.tollgate.internal.Cookies;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.resilience.CircuitBreakerPolicy;
import dev.tollgate.resilience.Fallback;
import dev.tollgate.resilience.RetryPolicy;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A route: a path template, predicates, route middleware and a destination (an upstream by name, or a
 * handler in code). Immutable and thread-safe; start one with {@link #path(String)} or
 * {@link #prefix(String)}.
 *
 * <p>Templates: literal segments ({@code /users}), variables ({@code /users/{id}}, one whole segment)
 * and a trailing {@code /**} (any rest, including none). When several routes match a path, the one
 * with more literal segments at the first point of difference wins (literal, then variable, then
 * {@code **}); among equals, the first declared wins. Predicates are then checked in that order.
 *
 * <p>Priority: a route's {@link Builder#priority(int)} (default 0, higher wins) comes before
 * specificity. The candidates for a path are ordered by priority (descending), then specificity, then
 * declaration order, and the first whose predicates, version and method accept the request serves it.
 * With every priority at 0 (the common case) this is plain specificity order and costs nothing.
 */
public final class Route {

    private static final Pattern VAR = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final String id;
    private final boolean idGiven;
    private final String template;
    private final List<String> segments;
    private final Set<String> methods;
    private final List<Predicate> predicates;
    private final int priority;
    private final Set<String> versions;
    private final int stripPrefix;
    private final Pattern rewriteFrom;
    private final String rewriteTo;
    private final List<Middleware> middleware;
    private final String upstream;
    private final Split split;
    private final Mirror mirror;
    private final HttpHandler handler;
    private final RetryPolicy retry;
    private final CircuitBreakerPolicy circuitBreaker;
    private final Fallback fallback;
    private final Duration perTryTimeout;
    private final Duration deadline;

    private Route(Builder b) {
        this.template = b.template;
        this.segments = b.segments;
        this.id = b.id != null ? b.id : b.template;
        this.idGiven = b.id != null;
        this.methods = Collections.unmodifiableSet(new LinkedHashSet<>(b.methods));
        this.predicates = List.copyOf(b.predicates);
        this.priority = b.priority;
        this.versions = Collections.unmodifiableSet(new LinkedHashSet<>(b.versions));
        this.stripPrefix = b.stripPrefix;
        this.rewriteFrom = b.rewriteFrom;
        this.rewriteTo = b.rewriteTo;
        this.middleware = List.copyOf(b.middleware);
        this.upstream = b.upstream;
        this.split = b.split;
        this.mirror = b.mirror;
        this.handler = b.handler;
        this.retry = b.retry;
        this.circuitBreaker = b.circuitBreaker;
        this.fallback = b.fallback;
        this.perTryTimeout = b.perTryTimeout;
        this.deadline = b.deadline;
    }

    private Route(Route r, String id) {
        this.id = id;
        this.idGiven = r.idGiven;
        this.template = r.template;
        this.segments = r.segments;
        this.methods = r.methods;
        this.predicates = r.predicates;
        this.priority = r.priority;
        this.versions = r.versions;
        this.stripPrefix = r.stripPrefix;
        this.rewriteFrom = r.rewriteFrom;
        this.rewriteTo = r.rewriteTo;
        this.middleware = r.middleware;
        this.upstream = r.upstream;
        this.split = r.split;
        this.mirror = r.mirror;
        this.handler = r.handler;
        this.retry = r.retry;
        this.circuitBreaker = r.circuitBreaker;
        this.fallback = r.fallback;
        this.perTryTimeout = r.perTryTimeout;
        this.deadline = r.deadline;
    }

    /**
     * A route for a path template: {@code /health}, {@code /users/{id}}, {@code /static/**}.
     *
     * @throws IllegalArgumentException if the template is malformed
     */
    public static Builder path(String template) {
        return new Builder(template);
    }

    /** A route for a path and everything below it: {@code prefix("/api")} matches {@code /api} and {@code /api/...}. */
    public static Builder prefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        return new Builder(p + "/**");
    }

    /**
     * The id used in logs, metrics and errors: given with {@link Builder#id(String)}, or the template.
     * In a gateway, routes without a given id that share a template are numbered in declaration
     * order: the first keeps the template, the second is {@code template#2}, the third {@code template#3}.
     */
    public String id() {
        return id;
    }

    /** Whether the id was set with {@link Builder#id(String)} rather than defaulted. */
    public boolean idGiven() {
        return idGiven;
    }

    /**
     * A copy of this route under another id; {@link #idGiven()} is unchanged.
     *
     * @throws IllegalArgumentException if the id is blank
     */
    public Route withId(String id) {
        return new Route(this, checkId(id));
    }

    private static String checkId(String id) {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("route.id: '" + id + "' (expected: not blank)");
        }
        return id;
    }

    /** The priority among routes that match the same request; higher wins. Default 0. */
    public int priority() {
        return priority;
    }

    /** The API versions this route serves; empty means every version (and unversioned gateways). */
    public Set<String> versions() {
        return versions;
    }

    /** Whether this route serves the resolved API version (null when the gateway has no versioning). */
    public boolean servesVersion(String version) {
        return versions.isEmpty() || (version != null && versions.contains(version));
    }

    public String template() {
        return template;
    }

    /** Template segments; variables as {@code {name}}, a tail as {@code **}. */
    public List<String> segments() {
        return segments;
    }

    /** Allowed methods, upper-case; empty means any. */
    public Set<String> methods() {
        return methods;
    }

    /** Leading path segments removed before forwarding. Default 0. */
    public int stripPrefix() {
        return stripPrefix;
    }

    public List<Middleware> middleware() {
        return middleware;
    }

    /** The upstream's name, or null when the route has a split or a handler. */
    public String upstream() {
        return upstream;
    }

    /** The weighted split between upstreams, or null when the route has one upstream or a handler. */
    public Split split() {
        return split;
    }

    /** The traffic mirror, or null when the route mirrors nothing. */
    public Mirror mirror() {
        return mirror;
    }

    /** The handler in code, or null when the route goes to an upstream. */
    public HttpHandler handler() {
        return handler;
    }

    /** The route's retry policy in place of its upstream's, if set. */
    public Optional<RetryPolicy> retry() {
        return Optional.ofNullable(retry);
    }

    /**
     * The route's own breaker policy, if set: the route then gets a breaker of its own for each of its
     * upstreams instead of sharing the upstream's.
     */
    public Optional<CircuitBreakerPolicy> circuitBreaker() {
        return Optional.ofNullable(circuitBreaker);
    }

    /** The route's fallback in place of its upstream's, if set. */
    public Optional<Fallback> fallback() {
        return Optional.ofNullable(fallback);
    }

    /** The timeout of each attempt (until the response headers), if set; else the proxy's response timeout. */
    public Optional<Duration> perTryTimeout() {
        return Optional.ofNullable(perTryTimeout);
    }

    /** The overall deadline (all attempts and backoffs, until the response headers), if set. Default: none. */
    public Optional<Duration> deadline() {
        return Optional.ofNullable(deadline);
    }

    /** Whether the non-method predicates (host, header, query, cookie, custom) accept the exchange. */
    public boolean predicatesMatch(HttpServerExchange exchange) {
        for (Predicate p : predicates) {
            if (!p.test(exchange)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the method is allowed. */
    public boolean allows(HttpString method) {
        return methods.isEmpty() || methods.contains(method.toString());
    }

    /** The path to send upstream: after strip-prefix and rewrite of the normalised request path. */
    public String upstreamPath(String normalizedPath) {
        String p = normalizedPath;
        if (stripPrefix > 0) {
            int idx = 0;
            for (int i = 0; i < stripPrefix && idx >= 0; i++) {
                idx = p.indexOf('/', idx + 1);
            }
            p = idx < 0 ? "/" : p.substring(idx);
        }
        if (rewriteFrom != null) {
            p = rewriteFrom.matcher(p).replaceFirst(rewriteTo);
            if (!p.startsWith("/")) {
                p = "/" + p;
            }
        }
        return p;
    }

    @Override
    public String toString() {
        return "Route[" + id + (methods.isEmpty() ? "" : " " + methods) + " -> "
                + (upstream != null ? upstream : split != null ? split : "handler")
                + (mirror != null ? " + " + mirror : "") + "]";
    }

    /** A request predicate other than path and method. */
    @FunctionalInterface
    public interface Predicate {
        boolean test(HttpServerExchange exchange);
    }

    /** Builds a {@link Route}. Not thread-safe. */
    public static final class Builder {
        private final String template;
        private final List<String> segments;
        private String id;
        private final Set<String> methods = new LinkedHashSet<>();
        private final List<Predicate> predicates = new ArrayList<>();
        private int priority;
        private final Set<String> versions = new LinkedHashSet<>();
        private int stripPrefix;
        private Pattern rewriteFrom;
        private String rewriteTo;
        private final List<Middleware> middleware = new ArrayList<>();
        private String upstream;
        private Split split;
        private Mirror mirror;
        private HttpHandler handler;
        private RetryPolicy retry;
        private CircuitBreakerPolicy circuitBreaker;
        private Fallback fallback;
        private Duration perTryTimeout;
        private Duration deadline;

        private Builder(String template) {
            Objects.requireNonNull(template, "template");
            this.template = template;
            this.segments = parse(template);
        }

        private static List<String> parse(String template) {
            if (!template.startsWith("/")) {
                throw new IllegalArgumentException("route.path: '" + template + "' (expected: starts with '/')");
            }
            List<String> out = new ArrayList<>();
            String[] parts = template.substring(1).split("/", -1);
            for (int i = 0; i < parts.length; i++) {
                String s = parts[i];
                if (s.isEmpty()) {
                    if (i == parts.length - 1) {
                        continue; // a trailing slash is not significant
                    }
                    throw new IllegalArgumentException("route.path: '" + template + "' has an empty segment (expected: no '//')");
                }
                if (s.equals("**")) {
                    if (i != parts.length - 1) {
                        throw new IllegalArgumentException("route.path: '" + template + "' has '**' before the end (expected: only as the last segment)");
                    }
                } else if (s.startsWith("{")) {
                    if (!VAR.matcher(s).matches()) {
                        throw new IllegalArgumentException("route.path: '" + template + "' has a bad variable '" + s + "' (expected: {name} as a whole segment)");
                    }
                    String name = s.substring(1, s.length() - 1);
                    if (out.contains("{" + name + "}")) {
                        throw new IllegalArgumentException("route.path: '" + template + "' uses variable '" + name + "' twice");
                    }
                } else if (s.indexOf('{') >= 0 || s.indexOf('}') >= 0 || s.indexOf('*') >= 0 || s.equals(".") || s.equals("..")) {
                    throw new IllegalArgumentException("route.path: '" + template + "' has a bad segment '" + s + "' (expected: literal, {name} or a final **)");
                }
                out.add(s);
            }
            return List.copyOf(out);
        }

        /**
         * A stable id for logs and metrics. Default: the template (numbered {@code #2}, {@code #3} ... in
         * a gateway when several routes share it). Two routes with the same given id fail the gateway's
         * {@code build()}.
         */
        public Builder id(String id) {
            this.id = checkId(id);
            return this;
        }

        /**
         * The priority among routes that match the same request: higher wins, before specificity
         * (literal, variable, {@code **}) and declaration order. Default 0.
         */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        /**
         * Serves only these API versions, as resolved by the gateway's
         * {@link dev.tollgate.route.Versioning}; may be called again to add more. Default: every version.
         *
         * @throws IllegalArgumentException if a version is not letters, digits, '.', '_' or '-'
         */
        public Builder version(String... versions) {
            for (String v : versions) {
                this.versions.add(Versioning.checkVersion("route.version", v));
            }
            return this;
        }

        private String name() {
            return id != null ? id : template;
        }

        private Pattern regex(String what, String regex, int flags) {
            Objects.requireNonNull(regex, "regex");
            try {
                return Pattern.compile(regex, flags);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("route " + name() + ": " + what + " regex '" + regex
                        + "' is invalid: " + e.getDescription() + " (expected: a java.util.regex pattern)");
            }
        }

        /** Allowed methods (e.g. "GET", "POST"); other methods get 405. Default: any. */
        public Builder methods(String... methods) {
            for (String m : methods) {
                Objects.requireNonNull(m, "method");
                if (!m.matches("[A-Za-z]+")) {
                    throw new IllegalArgumentException("route.methods: '" + m + "' (expected: a method name such as GET)");
                }
                this.methods.add(m.toUpperCase(Locale.ROOT));
            }
            return this;
        }

        /** Allowed methods as Undertow names ({@code Methods.GET}). */
        public Builder methods(HttpString... methods) {
            for (HttpString m : methods) {
                methods(m.toString());
            }
            return this;
        }

        /**
         * Matches the request's host (without port, case-insensitive): exact, or a leading {@code *.}
         * for any subdomain ({@code *.example.com} matches {@code a.example.com} and {@code a.b.example.com},
         * not {@code example.com}), or a {@code *} label elsewhere for exactly one label
         * ({@code api.*.example.com} matches {@code api.eu.example.com}, not {@code api.example.com}).
         */
        public Builder host(String pattern) {
            Objects.requireNonNull(pattern, "pattern");
            String p = pattern.toLowerCase(Locale.ROOT);
            if (p.indexOf('*', p.startsWith("*.") ? 1 : 0) >= 0) {
                StringBuilder re = new StringBuilder();
                for (String label : p.split("\\.", -1)) {
                    if (re.length() > 0) {
                        re.append("\\.");
                    }
                    if (label.equals("*")) {
                        re.append(re.length() == 0 ? "[^.]+(?:\\.[^.]+)*" : "[^.]+");
                    } else if (label.indexOf('*') >= 0 || label.isEmpty()) {
                        throw new IllegalArgumentException("route " + name() + ": host '" + pattern
                                + "' (expected: a name, *.name, or '*' as a whole label)");
                    } else {
                        re.append(Pattern.quote(label));
                    }
                }
                return hostMatches(re.toString());
            }
            if (p.startsWith("*.")) {
                String suffix = p.substring(1);
                predicates.add(ex -> {
                    String h = ex.getHostName();
                    return h != null && h.toLowerCase(Locale.ROOT).endsWith(suffix) && h.length() > suffix.length();
                });
            } else {
                predicates.add(ex -> p.equalsIgnoreCase(ex.getHostName()));
            }
            return this;
        }

        /** Requires a header with exactly this value (any of its values). */
        public Builder header(String name, String value) {
            HttpString h = HttpString.tryFromString(Objects.requireNonNull(name, "name"));
            Objects.requireNonNull(value, "value");
            predicates.add(ex -> {
                var values = ex.getRequestHeaders().get(h);
                return values != null && values.contains(value);
            });
            return this;
        }

        /**
         * Requires the host (without port) to match a regular expression as a whole, case-insensitively.
         *
         * @throws IllegalArgumentException naming the route and the regex if it does not compile
         */
        public Builder hostMatches(String regex) {
            Pattern p = regex("hostMatches", regex, Pattern.CASE_INSENSITIVE);
            predicates.add(ex -> {
                String h = ex.getHostName();
                return h != null && p.matcher(h).matches();
            });
            return this;
        }

        /**
         * Requires a header with a value that matches a regular expression as a whole (any of its values;
         * {@code find} semantics need {@code .*} around the expression).
         *
         * @throws IllegalArgumentException naming the route and the regex if it does not compile
         */
        public Builder headerMatches(String name, String regex) {
            HttpString h = HttpString.tryFromString(Objects.requireNonNull(name, "name"));
            Pattern p = regex("headerMatches(" + name + ")", regex, 0);
            predicates.add(ex -> {
                var values = ex.getRequestHeaders().get(h);
                if (values != null) {
                    for (int i = 0; i < values.size(); i++) {
                        if (p.matcher(values.get(i)).matches()) {
                            return true;
                        }
                    }
                }
                return false;
            });
            return this;
        }

        /**
         * Requires a cookie with exactly this value (surrounding double quotes are not part of the value).
         * Reads the {@code Cookie} header in place, without building a cookie map.
         */
        public Builder cookie(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            predicates.add(ex -> Cookies.has(ex, name, value));
            return this;
        }

        /** Requires a cookie to be present (with any value, also empty). */
        public Builder cookiePresent(String name) {
            Objects.requireNonNull(name, "name");
            predicates.add(ex -> Cookies.has(ex, name, null));
            return this;
        }

        /** Requires a header to be present. */
        public Builder headerPresent(String name) {
            HttpString h = HttpString.tryFromString(Objects.requireNonNull(name, "name"));
            predicates.add(ex -> ex.getRequestHeaders().contains(h));
            return this;
        }

        /** Requires a query parameter with exactly this (decoded) value. */
        public Builder query(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            predicates.add(ex -> {
                var values = ex.getQueryParameters().get(name);
                return values != null && values.contains(value);
            });
            return this;
        }

        /** Requires a query parameter to be present. */
        public Builder queryPresent(String name) {
            Objects.requireNonNull(name, "name");
            predicates.add(ex -> ex.getQueryParameters().containsKey(name));
            return this;
        }

        /** Any other condition, checked on the IO thread; must not block. */
        public Builder when(Predicate predicate) {
            predicates.add(Objects.requireNonNull(predicate, "predicate"));
            return this;
        }

        /** Removes this many leading path segments before forwarding ({@code /api/orders/1} with 1: {@code /orders/1}). */
        public Builder stripPrefix(int segments) {
            if (segments < 0) {
                throw new IllegalArgumentException("route.stripPrefix: " + segments + " (expected: >= 0)");
            }
            this.stripPrefix = segments;
            return this;
        }

        /**
         * Rewrites the forwarded path (after strip-prefix): the first match of {@code regex} is replaced
         * with {@code replacement}, which may use {@code $1} or {@code ${name}} groups.
         */
        public Builder rewrite(String regex, String replacement) {
            Objects.requireNonNull(regex, "regex");
            this.rewriteTo = Objects.requireNonNull(replacement, "replacement");
            try {
                this.rewriteFrom = Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("route.rewrite: '" + regex + "' is not a regular expression: " + e.getDescription());
            }
            checkReplacement(rewriteFrom, replacement);
            return this;
        }

        // Matcher.replaceFirst checks group references only when the regex matches, i.e. per request: check them now
        private static void checkReplacement(Pattern regex, String replacement) {
            int groups = regex.matcher("").groupCount();
            for (int i = 0; i < replacement.length(); i++) {
                char c = replacement.charAt(i);
                if (c == '\\') {
                    if (++i == replacement.length()) {
                        throw new IllegalArgumentException("route.rewrite: replacement '" + replacement
                                + "' ends with a lone '\\' (expected: \\\\ for a literal '\\')");
                    }
                } else if (c == '$') {
                    char n = ++i < replacement.length() ? replacement.charAt(i) : 0;
                    if (n >= '0' && n <= '9') {
                        // like Matcher: the first digit must name a group; further digits join it only if that group exists
                        if (n - '0' > groups) {
                            throw new IllegalArgumentException("route.rewrite: replacement '" + replacement + "' refers to group "
                                    + (n - '0') + " but '" + regex.pattern() + "' has " + groups + " groups");
                        }
                    } else if (n == '{' && replacement.indexOf('}', i) > i + 1) {
                        int end = replacement.indexOf('}', i);
                        String name = replacement.substring(i + 1, end);
                        // Java 17 has no Pattern.namedGroups(): look for the group's declaration
                        if (!regex.pattern().contains("(?<" + name + ">")) {
                            throw new IllegalArgumentException("route.rewrite: replacement '" + replacement + "' refers to group '"
                                    + name + "' which '" + regex.pattern() + "' does not define");
                        }
                        i = end;
                    } else {
                        throw new IllegalArgumentException("route.rewrite: replacement '" + replacement
                                + "' has a '$' without a group (expected: $1, ${name}, or \\$ for a literal '$')");
                    }
                }
            }
        }

        /** Adds route middleware; the first added is the outermost. */
        public Builder use(Middleware middleware) {
            this.middleware.add(Objects.requireNonNull(middleware, "middleware"));
            return this;
        }

        /** Sends matching requests to the named upstream. */
        public Builder to(String upstream) {
            this.upstream = Objects.requireNonNull(upstream, "upstream");
            return this;
        }

        /** Splits matching requests between upstreams by weight (canary releases); see {@link Split}. */
        public Builder split(Split split) {
            this.split = Objects.requireNonNull(split, "split");
            return this;
        }

        /** {@link #split(Split)} from a builder. */
        public Builder split(Split.Builder split) {
            return split(split.build());
        }

        /**
         * Also sends a copy of a share of matching requests to a shadow upstream, fire and forget; see
         * {@link Mirror}. Works with any destination.
         */
        public Builder mirror(Mirror mirror) {
            this.mirror = Objects.requireNonNull(mirror, "mirror");
            return this;
        }

        /** {@link #mirror(Mirror)} from a builder. */
        public Builder mirror(Mirror.Builder mirror) {
            return mirror(mirror.build());
        }

        /** Answers matching requests with a handler in code instead of an upstream. */
        public Builder handler(HttpHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Retries for this route in place of its upstream's policy (e.g. to opt POST in). */
        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /** Like {@link #retry(RetryPolicy)}. */
        public Builder retry(RetryPolicy.Builder retry) {
            return retry(retry.build());
        }

        /** A breaker of the route's own (per upstream it goes to) in place of the upstream's shared one. */
        public Builder circuitBreaker(CircuitBreakerPolicy policy) {
            this.circuitBreaker = Objects.requireNonNull(policy, "circuitBreaker");
            return this;
        }

        /** Like {@link #circuitBreaker(CircuitBreakerPolicy)}. */
        public Builder circuitBreaker(CircuitBreakerPolicy.Builder policy) {
            return circuitBreaker(policy.build());
        }

        /** What requests get when the breaker is open or all attempts failed, in place of the upstream's. */
        public Builder fallback(Fallback fallback) {
            this.fallback = Objects.requireNonNull(fallback, "fallback");
            return this;
        }

        /** The timeout of each attempt, until the response headers. Default: the proxy's response timeout (30 s). */
        public Builder perTryTimeout(Duration timeout) {
            this.perTryTimeout = positive("route.perTryTimeout", timeout);
            return this;
        }

        /** The overall deadline of all attempts and backoffs, until the response headers; then 504. Default: none. */
        public Builder deadline(Duration deadline) {
            this.deadline = positive("route.deadline", deadline);
            return this;
        }

        private static Duration positive(String what, Duration d) {
            Objects.requireNonNull(d, what);
            if (d.toMillis() < 1) {
                throw new IllegalArgumentException(what + ": " + d + " (expected: >= 1ms)");
            }
            return d;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalStateException if the route has no destination or more than one
         */
        public Route build() {
            int destinations = (upstream != null ? 1 : 0) + (split != null ? 1 : 0) + (handler != null ? 1 : 0);
            if (destinations == 0) {
                throw new IllegalStateException("route " + (id != null ? id : template) + ": no destination (expected: .to(upstream), .split(s) or .handler(h))");
            }
            if (destinations > 1) {
                throw new IllegalStateException("route " + (id != null ? id : template) + ": "
                        + (handler != null && upstream != null ? "both an upstream and a handler"
                        : handler != null ? "both a split and a handler" : "both an upstream and a split")
                        + " (expected: one of them)");
            }
            return new Route(this);
        }
    }
}
