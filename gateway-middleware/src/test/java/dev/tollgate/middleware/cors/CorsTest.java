package dev.tollgate.middleware.cors;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Origin matching and configuration checks, without a server. */
class CorsTest {

    private final Cors cors = Cors.builder()
            .allowOrigins("https://app.example.com", "http://localhost:3000")
            .allowOriginPatterns("https://*.example.org")
            .build();

    @ParameterizedTest
    @ValueSource(strings = {
            "https://app.example.com",
            "HTTPS://APP.Example.COM",          // scheme and host compare case-insensitively
            "https://app.example.com:443",      // the default port is the same origin
            "http://localhost:3000",
            "https://a.example.org",
            "https://a.b.example.org",          // a pattern covers one or more labels
            "https://a-b.example.org:443"})
    void allowed(String origin) {
        assertThat(cors.allowOriginFor(origin)).isEqualTo(origin);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "https://example.com.evil.com",     // look-alike suffixes
            "https://app.example.com.evil.com",
            "https://evilapp.example.com",
            "https://app.example.comevil.com",
            "https://example.org",              // the pattern needs a subdomain
            "https://evilexample.org",
            "https://a.example.org.evil.com",
            "http://app.example.com",           // scheme variant
            "https://app.example.com:8443",     // port variant
            "http://a.example.org",
            "https://a.example.org:8443",
            "http://localhost:3001",
            "http://localhost",
            "https://localhost:3000",
            "https://app.example.com/",         // not an origin: path
            "https://app.example.com/path",
            "https://app.example.com.",         // trailing dot
            "https://user@app.example.com",     // user info
            "https://app.example.com?x",
            "https://app..example.com",
            "https://.example.org",
            "https://*.example.org",
            "https://app.example.com:",
            "https://app.example.com:99999",
            "https://app.example.com https://evil.com",
            "app.example.com",
            "null",                              // opaque origin, not configured
            "",
            "*"})
    void refused(String origin) {
        assertThat(cors.allowOriginFor(origin)).isNull();
    }

    @Test
    void nullOriginOnlyWhenListed() {
        assertThat(Cors.allowOrigins("https://a.example.com").allowNullOrigin(true).build().allowOriginFor("null")).isEqualTo("null");
        assertThat(Cors.allowOrigins("https://a.example.com", "null").build().allowOriginFor("null")).isEqualTo("null");
        assertThat(Cors.allowOrigins("https://a.example.com").build().allowOriginFor("null")).isNull();
    }

    @Test
    void anyOriginIsAStarWithoutCredentials() {
        Cors any = Cors.builder().allowAnyOrigin().build();
        assertThat(any.allowOriginFor("https://whoever.example")).isEqualTo("*");
        assertThat(any.allowOriginFor(null)).isNull();
        assertThat(Cors.allowOrigins("*").build().allowOriginFor("https://x.example")).isEqualTo("*");
    }

    @Test
    void contradictionsFailAtBuild() {
        assertThatThrownBy(() -> Cors.builder().allowAnyOrigin().allowCredentials(true).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cors: any origin (*) with allowCredentials(true)");
        assertThatThrownBy(() -> Cors.allowOrigins("*").allowCredentials(true).build())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Cors.allowOrigins("https://a.example.com").exposeHeaders("*").allowCredentials(true).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cors: exposeHeaders(*) with allowCredentials(true)");
        assertThatThrownBy(() -> Cors.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("cors: no origin is allowed (expected: allowOrigins(...) or allowOriginPatterns(...))");
        assertThatThrownBy(() -> Cors.allowOrigins("https://a.example.com").allowMethods().build())
                .hasMessage("cors: no method is allowed (expected: allowMethods(...) with at least one)");
    }

    @Test
    void badValuesFailWhereGiven() {
        assertThatThrownBy(() -> Cors.allowOrigins("https://a.example.com/"))
                .hasMessage("cors.allowOrigins: 'https://a.example.com/' is not an origin"
                        + " (expected: scheme://host[:port] without a path, e.g. https://app.example.com)");
        assertThatThrownBy(() -> Cors.allowOrigins("a.example.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cors.builder().allowOriginPatterns("https://*.com"))
                .hasMessage("cors.allowOriginPatterns: 'https://*.com' (expected: scheme://*.domain.tld[:port], e.g. https://*.example.com)");
        assertThatThrownBy(() -> Cors.builder().allowOriginPatterns("https://a*.example.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cors.builder().allowOriginPatterns("https://*.*.example.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cors.builder().allowMethods("GE T")).hasMessage("cors.allowMethods: 'GE T' (expected: an HTTP token)");
        assertThatThrownBy(() -> Cors.builder().allowHeaders("x:y")).hasMessage("cors.allowHeaders: 'x:y' (expected: an HTTP token)");
        assertThatThrownBy(() -> Cors.builder().maxAge(Duration.ofSeconds(-1)))
                .hasMessage("cors.maxAge: PT-1S (expected: >= 0, or null for none)");
    }

    @Test
    void ipLiteralOrigins() {
        Cors c = Cors.allowOrigins("http://[::1]:8080", "http://127.0.0.1:3000").build();
        assertThat(c.allowOriginFor("http://[::1]:8080")).isNotNull();
        assertThat(c.allowOriginFor("http://[0:0:0:0:0:0:0:1]:8080")).isNull(); // not how browsers serialise it
        assertThat(c.allowOriginFor("http://[::1]:8081")).isNull();
        assertThat(c.allowOriginFor("http://[::1")).isNull();
        assertThat(c.allowOriginFor("http://[::1]x")).isNull();
        assertThat(c.allowOriginFor("http://127.0.0.1:3000")).isNotNull();
        assertThat(c.allowOriginFor("http://127.0.0.2:3000")).isNull();
    }

    @Test
    void patternsWithPortsAndPatternsGivenAsOrigins() {
        Cors c = Cors.allowOrigins("https://*.example.com:8443").build();
        assertThat(c.allowOriginFor("https://a.example.com:8443")).isNotNull();
        assertThat(c.allowOriginFor("https://a.example.com")).isNull();
    }
}
