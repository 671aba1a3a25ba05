package dev.tollgate.benchmarks.load;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The load driver's command line: {@code --key=value} arguments, each validated with a message
 * saying what was expected. Immutable.
 */
record DriverOptions(
        int connections,
        Duration duration,
        Duration warmup,
        int rate,
        List<String> targets,
        String path,
        int ioThreads,
        long maxRequests,
        int rounds,
        Optional<URI> external) {

    static final List<String> KNOWN_TARGETS = List.of("direct", "undertow-proxy", "tollgate", "tollgate-observed");
    /** What runs without --targets; tollgate-observed (all observability on) is asked for by name. */
    static final List<String> DEFAULT_TARGETS = List.of("direct", "undertow-proxy", "tollgate");

    private static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("connections", "keep-alive connections per run (default 64)");
        HELP.put("duration", "measured seconds per run (default 10)");
        HELP.put("warmup", "warm-up seconds before each run (default 3)");
        HELP.put("rate", "fixed-rate run: total requests per second (default 2000)");
        HELP.put("targets", "comma-separated, of " + String.join(",", KNOWN_TARGETS) + " (default "
                + String.join(",", DEFAULT_TARGETS) + ")");
        HELP.put("path", "request path and query (default /hello)");
        HELP.put("io-threads", "IO threads of every in-process server (default 2)");
        HELP.put("max-requests", "hard cap on requests sent per run (default 100000000)");
        HELP.put("rounds", "closed-loop rounds over all targets, in rotating order; medians reported (default 3)");
        HELP.put("external", "measure an already-running loopback server, e.g. http://127.0.0.1:8080");
    }

    static String usage() {
        StringBuilder out = new StringBuilder("usage: LoadDriver [--key=value ...]\n");
        HELP.forEach((key, text) -> out.append(String.format("  --%-13s %s%n", key, text)));
        return out.toString();
    }

    /** @throws IllegalArgumentException naming the bad argument and what was expected */
    static DriverOptions parse(String... args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 3) {
                throw new IllegalArgumentException("argument '" + arg + "' (expected: --key=value)");
            }
            String key = arg.substring(2, eq);
            if (!HELP.containsKey(key)) {
                throw new IllegalArgumentException("unknown option --" + key + " (known: " + String.join(", ", HELP.keySet()) + ")");
            }
            values.put(key, arg.substring(eq + 1));
        }
        int connections = intIn(values, "connections", 64, 1, 10_000);
        Duration duration = Duration.ofSeconds(intIn(values, "duration", 10, 1, 3600));
        Duration warmup = Duration.ofSeconds(intIn(values, "warmup", 3, 0, 600));
        int rate = intIn(values, "rate", 2000, 1, 1_000_000);
        int ioThreads = intIn(values, "io-threads", 2, 1, 256);
        long maxRequests = longIn(values, "max-requests", 100_000_000L, 1, Long.MAX_VALUE);
        int rounds = intIn(values, "rounds", 3, 1, 100);
        String path = values.getOrDefault("path", "/hello");
        List<String> targets = new ArrayList<>();
        for (String name : values.getOrDefault("targets", String.join(",", DEFAULT_TARGETS)).split(",")) {
            String trimmed = name.trim();
            if (!KNOWN_TARGETS.contains(trimmed)) {
                throw new IllegalArgumentException("--targets: '" + trimmed + "' (known: " + String.join(", ", KNOWN_TARGETS) + ")");
            }
            if (!targets.contains(trimmed)) {
                targets.add(trimmed);
            }
        }
        Optional<URI> external = Optional.empty();
        if (values.containsKey("external")) {
            URI uri;
            try {
                uri = URI.create(values.get("external"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--external: '" + values.get("external") + "' (expected: http://127.0.0.1:PORT)", e);
            }
            try {
                LoadTarget.of(uri, path); // validates scheme, loopback host, port and path now
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--external: " + e.getMessage(), e);
            }
            external = Optional.of(uri);
        }
        LoadTarget.of("127.0.0.1", 1, path); // validates the path even for in-process targets
        return new DriverOptions(connections, duration, warmup, rate, List.copyOf(targets), path, ioThreads,
                maxRequests, rounds, external);
    }

    private static int intIn(Map<String, String> values, String key, int fallback, int min, int max) {
        return (int) longIn(values, key, fallback, min, max);
    }

    private static long longIn(Map<String, String> values, String key, long fallback, long min, long max) {
        String raw = values.get(key);
        if (raw == null) {
            return fallback;
        }
        long value;
        try {
            value = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + ": '" + raw + "' (expected: an integer in " + min + ".." + max + ")");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("--" + key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }
}
