package dev.tollgate.route;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How a gateway reads the API version of a request, which versions it knows, and which one a request
 * without a version gets. Set once per gateway with {@code Gateway.builder().versioning(...)}; a
 * route serves only the versions given to {@link Route.Builder#version(String...)}, or every version
 * if it names none. Immutable and thread-safe.
 *
 * <p>Sources, checked in this fixed order (the first that carries a version wins):
 * <ol>
 *   <li>{@link #path()}: a first path segment {@code v} followed by a digit ({@code /v2/orders} is
 *       version {@code 2}). Route templates are written without it ({@code /orders}); it is removed
 *       before forwarding unless {@link Builder#keepPathSegment(boolean)} is set.</li>
 *   <li>{@link #header(String)}: the (trimmed) value of a header such as {@code API-Version: 2}.</li>
 *   <li>{@link #mediaType()}: in {@code Accept}, a vendor type {@code application/vnd.<anything>.v2+json}
 *       or a {@code version=2} parameter ({@code application/json; version=2}).</li>
 * </ol>
 * A request with no version gets the {@linkplain Builder#defaultVersion(String) default}; one with a
 * version not in the {@linkplain Builder#known(String...) known} set gets a 400 problem
 * {@code unknown-api-version} naming it and the known ones.
 */
public final class Versioning {

    private final boolean fromPath;
    private final String header;
    private final boolean fromMediaType;
    private final Set<String> known;
    private final String defaultVersion;
    private final boolean keepPathSegment;

    private Versioning(Builder b) {
        this.fromPath = b.fromPath;
        this.header = b.header;
        this.fromMediaType = b.fromMediaType;
        this.known = Collections.unmodifiableSet(new LinkedHashSet<>(b.known));
        this.defaultVersion = b.defaultVersion != null ? b.defaultVersion : b.known.iterator().next();
        this.keepPathSegment = b.keepPathSegment;
    }

    /** Versions from the first path segment ({@code /v2/...}). More sources can be added to the builder. */
    public static Builder path() {
        return new Builder().fromPath();
    }

    /** Versions from a request header, e.g. {@code header("API-Version")}. */
    public static Builder header(String name) {
        return new Builder().fromHeader(name);
    }

    /** Versions from the {@code Accept} media type ({@code application/vnd.example.v2+json} or {@code ;version=2}). */
    public static Builder mediaType() {
        return new Builder().fromMediaType();
    }

    /** Whether the first path segment ({@code /v2/...}) carries the version. */
    public boolean fromPath() {
        return fromPath;
    }

    /** The header that carries the version, if any. */
    public Optional<String> header() {
        return Optional.ofNullable(header);
    }

    /** Whether the {@code Accept} media type carries the version. */
    public boolean fromMediaType() {
        return fromMediaType;
    }

    /** The known versions, in the order given. */
    public Set<String> known() {
        return known;
    }

    /** The version of requests that carry none. Default: the first known version. */
    public String defaultVersion() {
        return defaultVersion;
    }

    /** Whether the {@code /v2} path segment is forwarded upstream. Default false (it is removed). */
    public boolean keepPathSegment() {
        return keepPathSegment;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Versioning[");
        if (fromPath) {
            sb.append("path ");
        }
        if (header != null) {
            sb.append("header ").append(header).append(' ');
        }
        if (fromMediaType) {
            sb.append("media-type ");
        }
        return sb.append("known=").append(known).append(" default=").append(defaultVersion).append(']').toString();
    }

    static String checkVersion(String what, String version) {
        Objects.requireNonNull(version, "version");
        if (version.isEmpty() || version.length() > 32 || !version.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException(what + ": '" + version
                    + "' (expected: up to 32 letters, digits, '.', '_' or '-', such as 2 or 2024-01)");
        }
        return version;
    }

    /** Builds a {@link Versioning}. Not thread-safe. */
    public static final class Builder {
        private boolean fromPath;
        private String header;
        private boolean fromMediaType;
        private final Set<String> known = new LinkedHashSet<>();
        private String defaultVersion;
        private boolean keepPathSegment;

        private Builder() {
        }

        /** Also reads the version from the first path segment ({@code /v2/...}). */
        public Builder fromPath() {
            this.fromPath = true;
            return this;
        }

        /** Also reads the version from this header (one header; a second call replaces the name). */
        public Builder fromHeader(String name) {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw new IllegalArgumentException("versioning.header: '" + name + "' (expected: a header name such as API-Version)");
            }
            this.header = name;
            return this;
        }

        /** Also reads the version from the {@code Accept} media type. */
        public Builder fromMediaType() {
            this.fromMediaType = true;
            return this;
        }

        /**
         * Adds known versions; a request naming another one gets 400 {@code unknown-api-version}.
         * Required: at least one.
         *
         * @throws IllegalArgumentException if a version is not letters, digits, '.', '_' or '-'
         */
        public Builder known(String... versions) {
            for (String v : versions) {
                known.add(checkVersion("versioning.known", v));
            }
            return this;
        }

        /** The version of requests that carry none; must be known. Default: the first known version. */
        public Builder defaultVersion(String version) {
            this.defaultVersion = checkVersion("versioning.defaultVersion", version);
            return this;
        }

        /** Whether to forward the {@code /v2} path segment upstream. Default false: it is removed. */
        public Builder keepPathSegment(boolean keep) {
            this.keepPathSegment = keep;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalStateException if no version is known or the default is not one of them
         */
        public Versioning build() {
            if (known.isEmpty()) {
                throw new IllegalStateException("versioning: no known versions (expected: .known(\"1\", ...))");
            }
            if (defaultVersion != null && !known.contains(defaultVersion)) {
                throw new IllegalStateException("versioning.defaultVersion: '" + defaultVersion + "' is not known (known: "
                        + String.join(", ", known) + ")");
            }
            return new Versioning(this);
        }
    }
}
