package dev.tollgate.route.internal;

import dev.tollgate.route.Route;
import dev.tollgate.route.Versioning;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Routes compiled into a trie of path segments. Matching walks one branch per segment (literal before
 * variable before {@code **}), so its cost depends on the path's depth, not the number of routes.
 * The candidates come out in specificity order; only when some route has a non-zero priority are they
 * (stably) re-sorted by priority. With a {@link Versioning}, the API version is resolved first and
 * routes that do not serve it are skipped. Immutable after construction; {@link #match} is thread-safe.
 */
public final class Router {

    /** What matching decided. */
    public sealed interface Result permits Matched, NotFound, MethodNotAllowed, BadPath, UnknownVersion {
    }

    /**
     * A route matched.
     *
     * @param normalizedPath the normalised path as routed (without a {@code /v2} version segment)
     * @param version the resolved API version, or null without versioning
     * @param upstreamPath the path to forward, after strip-prefix and rewrite
     */
    public record Matched(Route route, Map<String, String> variables, String normalizedPath, String version,
                          String upstreamPath) implements Result {
    }

    /** The request names an API version the gateway does not know. */
    public record UnknownVersion(String version, Set<String> known) implements Result {
    }

    /** No route matched path and predicates. */
    public record NotFound(String normalizedPath) implements Result {
    }

    /** Routes matched path and predicates but not the method. */
    public record MethodNotAllowed(Set<String> allowed) implements Result {
    }

    /** The path cannot be routed (not origin-form, or it climbs above the root). */
    public record BadPath(String reason) implements Result {
    }

    private static final class Node {
        final Map<String, Node> literals = new HashMap<>();
        Node variable;
        final List<Entry> terminal = new ArrayList<>();
        final List<Entry> tail = new ArrayList<>();
    }

    /** A route and where its variables sit. */
    private record Entry(Route route, int[] varIndexes, String[] varNames, int order) {
    }

    // a vendor media type ending in .v<version>+json, or a version parameter, anywhere in Accept
    private static final Pattern MEDIA_VERSION = Pattern.compile(
            "(?i)(?:vnd\\.[^;,\\s]*\\.v([0-9][A-Za-z0-9._-]*)\\+json)|(?:;\\s*version\\s*=\\s*\"?([^\";,\\s]+))");

    private static final Comparator<Entry> BY_PRIORITY = Comparator.comparingInt((Entry e) -> e.route.priority()).reversed();

    private final Node root = new Node();
    private final int size;
    private final boolean anyPriority;
    private final Versioning versioning;
    private final HttpString versionHeader;

    public Router(List<Route> routes) {
        this(routes, null);
    }

    /** @param versioning how to resolve API versions, or null for none */
    public Router(List<Route> routes, Versioning versioning) {
        int order = 0;
        boolean prio = false;
        for (Route r : routes) {
            insert(r, order++);
            prio |= r.priority() != 0;
        }
        this.size = routes.size();
        this.anyPriority = prio;
        this.versioning = versioning;
        this.versionHeader = versioning == null ? null : versioning.header().map(HttpString::tryFromString).orElse(null);
    }

    public int size() {
        return size;
    }

    private void insert(Route route, int order) {
        List<String> segs = route.segments();
        List<Integer> idx = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Node node = root;
        boolean tail = false;
        for (int i = 0; i < segs.size(); i++) {
            String s = segs.get(i);
            if (s.equals("**")) {
                tail = true;
                break;
            }
            if (s.startsWith("{")) {
                idx.add(i);
                names.add(s.substring(1, s.length() - 1));
                if (node.variable == null) {
                    node.variable = new Node();
                }
                node = node.variable;
            } else {
                node = node.literals.computeIfAbsent(s, k -> new Node());
            }
        }
        Entry e = new Entry(route, idx.stream().mapToInt(Integer::intValue).toArray(), names.toArray(String[]::new), order);
        (tail ? node.tail : node.terminal).add(e);
    }

    /**
     * Routes an exchange by its raw path.
     *
     * @param rawPath the path as received, percent-encoding kept, without the query
     */
    public Result match(HttpServerExchange exchange, String rawPath) {
        String normalized = normalize(rawPath);
        if (normalized == null) {
            return new BadPath("the path is not a valid origin-form path");
        }
        String routed = normalized;
        String version = null;
        String keptSegment = null;
        if (versioning != null) {
            int cut = versioning.fromPath() ? pathVersionEnd(normalized) : -1;
            String requested = cut > 0 ? normalized.substring(2, cut) : null;
            if (requested == null && versionHeader != null) {
                String h = exchange.getRequestHeaders().getFirst(versionHeader);
                if (h != null && !(h = h.trim()).isEmpty()) {
                    requested = h;
                }
            }
            if (requested == null && versioning.fromMediaType()) {
                requested = mediaTypeVersion(exchange);
            }
            if (requested == null) {
                version = versioning.defaultVersion();
            } else if (versioning.known().contains(requested)) {
                version = requested;
            } else {
                return new UnknownVersion(requested, versioning.known());
            }
            if (cut > 0) {
                routed = cut == normalized.length() ? "/" : normalized.substring(cut);
                keptSegment = versioning.keepPathSegment() ? normalized.substring(0, cut) : null;
            }
        }
        String[] segs = split(routed);
        List<Entry> candidates = new ArrayList<>(4);
        collect(root, segs, 0, candidates);
        if (anyPriority && candidates.size() > 1) {
            candidates.sort(BY_PRIORITY); // stable: specificity, then declaration order among equal priorities
        }
        Set<String> allowed = null;
        for (Entry e : candidates) {
            Route r = e.route;
            if (!r.servesVersion(version) || !r.predicatesMatch(exchange)) {
                continue;
            }
            if (!r.allows(exchange.getRequestMethod())) {
                if (allowed == null) {
                    allowed = new LinkedHashSet<>();
                }
                allowed.addAll(r.methods());
                continue;
            }
            Map<String, String> vars = Map.of();
            if (e.varNames.length > 0) {
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 0; i < e.varNames.length; i++) {
                    m.put(e.varNames[i], segs[e.varIndexes[i]]);
                }
                vars = Collections.unmodifiableMap(m);
            }
            String up = r.upstreamPath(routed);
            if (keptSegment != null) {
                up = up.equals("/") && !normalized.endsWith("/") ? keptSegment : keptSegment + up;
            }
            return new Matched(r, vars, routed, version, up);
        }
        return allowed != null ? new MethodNotAllowed(allowed) : new NotFound(normalized);
    }

    // the end of a first segment "v<digit>...", or -1
    private static int pathVersionEnd(String normalized) {
        if (normalized.length() < 3 || normalized.charAt(1) != 'v' || normalized.charAt(2) < '0' || normalized.charAt(2) > '9') {
            return -1;
        }
        int end = normalized.indexOf('/', 1);
        return end < 0 ? normalized.length() : end;
    }

    private static String mediaTypeVersion(HttpServerExchange exchange) {
        HeaderValues accept = exchange.getRequestHeaders().get(Headers.ACCEPT);
        if (accept == null) {
            return null;
        }
        for (int i = 0; i < accept.size(); i++) {
            String a = accept.get(i);
            if (a.indexOf('v') < 0 && a.indexOf('V') < 0) {
                continue; // neither "vnd." nor "version=": skip the regex
            }
            Matcher m = MEDIA_VERSION.matcher(a);
            if (m.find()) {
                return m.group(1) != null ? m.group(1) : m.group(2);
            }
        }
        return null;
    }

    // depth-first, literal before variable before tail, so the most specific routes come first
    private static void collect(Node node, String[] segs, int i, List<Entry> out) {
        if (i == segs.length) {
            out.addAll(node.terminal);
            out.addAll(node.tail);
            return;
        }
        Node lit = node.literals.get(segs[i]);
        if (lit != null) {
            collect(lit, segs, i + 1, out);
        }
        if (node.variable != null) {
            collect(node.variable, segs, i + 1, out);
        }
        out.addAll(node.tail);
    }

    private static String[] split(String normalized) {
        if (normalized.equals("/")) {
            return new String[0];
        }
        String p = normalized.endsWith("/") ? normalized.substring(1, normalized.length() - 1) : normalized.substring(1);
        return p.split("/", -1);
    }

    /**
     * Normalises a raw path for routing and forwarding: merges repeated slashes, decodes
     * percent-encoded unreserved characters ({@code %61} is {@code a}, RFC 3986 6.2.2.2; other
     * encodings are kept), removes {@code .} segments and resolves {@code ..} ones, keeps a trailing
     * slash (and ends with one after a final dot segment, as RFC 3986 5.2.4 does). Returns null for a
     * path that does not start with '/' or climbs above the root.
     */
    public static String normalize(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return null;
        }
        if (isSimple(rawPath)) {
            return rawPath;
        }
        String[] parts = rawPath.split("/", -1);
        List<String> stack = new ArrayList<>(parts.length);
        boolean endsInDir = false;
        for (String raw : parts) {
            if (raw.isEmpty()) {
                continue;
            }
            // a backend decodes %61dmin to admin: route (and forward) what the backend will see
            String part = decodeUnreserved(raw);
            endsInDir = false;
            if (part.equals(".")) {
                endsInDir = true;
                continue;
            }
            if (part.equals("..")) {
                if (stack.isEmpty()) {
                    return null;
                }
                stack.remove(stack.size() - 1);
                endsInDir = true;
                continue;
            }
            stack.add(part);
        }
        StringBuilder sb = new StringBuilder(rawPath.length());
        for (String s : stack) {
            sb.append('/').append(s);
        }
        if (sb.length() == 0) {
            return "/";
        }
        if (endsInDir || rawPath.endsWith("/")) {
            sb.append('/');
        }
        return sb.toString();
    }

    private static String decodeUnreserved(String segment) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        StringBuilder sb = new StringBuilder(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            int u = unreservedAt(segment, i);
            if (u >= 0) {
                sb.append((char) u);
                i += 2;
            } else {
                sb.append(segment.charAt(i));
            }
        }
        return sb.toString();
    }

    // the unreserved character (RFC 3986 2.3) that "%XX" at i encodes, or -1
    private static int unreservedAt(String s, int i) {
        if (s.charAt(i) != '%' || i + 2 >= s.length()) {
            return -1;
        }
        int hi = hex(s.charAt(i + 1));
        int lo = hex(s.charAt(i + 2));
        if (hi < 0 || lo < 0) {
            return -1;
        }
        char c = (char) (hi * 16 + lo);
        boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
        return unreserved ? c : -1;
    }

    // ASCII only: Character.digit would also take other scripts' digits
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    // the common case: no "//", no dot segments, no encoded unreserved characters
    private static boolean isSimple(String p) {
        char prev = 0;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '/' && prev == '/') {
                return false;
            }
            if (c == '.' && prev == '/') {
                return false;
            }
            if (c == '%' && unreservedAt(p, i) >= 0) {
                return false;
            }
            prev = c;
        }
        return true;
    }
}
