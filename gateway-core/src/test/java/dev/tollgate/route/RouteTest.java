package dev.tollgate.route;

import io.undertow.util.Methods;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouteTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "users/{id}  | route.path: 'users/{id}' (expected: starts with '/')",
            "\"\"        | route.path: '' (expected: starts with '/')",
            "/a//b       | route.path: '/a//b' has an empty segment (expected: no '//')",
            "//          | route.path: '//' has an empty segment (expected: no '//')",
            "/a/**/b     | route.path: '/a/**/b' has '**' before the end (expected: only as the last segment)",
            "/a/{id      | route.path: '/a/{id' has a bad variable '{id' (expected: {name} as a whole segment)",
            "/a/{1d}     | route.path: '/a/{1d}' has a bad variable '{1d}' (expected: {name} as a whole segment)",
            "/a/{}       | route.path: '/a/{}' has a bad variable '{}' (expected: {name} as a whole segment)",
            "/a/{id}x    | route.path: '/a/{id}x' has a bad variable '{id}x' (expected: {name} as a whole segment)",
            "/a/x{id}    | route.path: '/a/x{id}' has a bad segment 'x{id}' (expected: literal, {name} or a final **)",
            "/a/*        | route.path: '/a/*' has a bad segment '*' (expected: literal, {name} or a final **)",
            "/a/b*       | route.path: '/a/b*' has a bad segment 'b*' (expected: literal, {name} or a final **)",
            "/a/./b      | route.path: '/a/./b' has a bad segment '.' (expected: literal, {name} or a final **)",
            "/a/../b     | route.path: '/a/../b' has a bad segment '..' (expected: literal, {name} or a final **)",
            "/a/}        | route.path: '/a/}' has a bad segment '}' (expected: literal, {name} or a final **)",
            "/{id}/{id}  | route.path: '/{id}/{id}' uses variable 'id' twice",
    })
    void malformedTemplatesAreRejectedWithAMessage(String template, String message) {
        assertThatThrownBy(() -> Route.path(template))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void wellFormedTemplatesAreSplitIntoSegments() {
        assertThat(Route.path("/").to("u").build().segments()).isEmpty();
        assertThat(Route.path("/users/{id}/").to("u").build().segments()).containsExactly("users", "{id}");
        assertThat(Route.path("/static/**").to("u").build().segments()).containsExactly("static", "**");
        assertThat(Route.path("/{a_1}/{B}").to("u").build().segments()).containsExactly("{a_1}", "{B}");
        assertThat(Route.prefix("/api").to("u").build().segments()).containsExactly("api", "**");
    }

    @Test
    void nullTemplateIsRejected() {
        assertThatThrownBy(() -> Route.path(null)).isInstanceOf(NullPointerException.class).hasMessage("template");
        assertThatThrownBy(() -> Route.prefix(null)).isInstanceOf(NullPointerException.class).hasMessage("prefix");
    }

    @Test
    void methodsAreValidatedAndUpperCased() {
        Route r = Route.path("/x").methods("get", "Post").methods(Methods.DELETE).methods("GET").to("u").build();
        assertThat(r.methods()).containsExactly("GET", "POST", "DELETE");
        assertThat(r.allows(Methods.GET)).isTrue();
        assertThat(r.allows(Methods.PUT)).isFalse();
        assertThat(Route.path("/x").to("u").build().allows(Methods.PATCH)).isTrue();

        assertThatThrownBy(() -> Route.path("/x").methods("GET POST"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.methods: 'GET POST' (expected: a method name such as GET)");
        assertThatThrownBy(() -> Route.path("/x").methods(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.methods: '' (expected: a method name such as GET)");
        assertThatThrownBy(() -> Route.path("/x").methods("GET", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("method");
    }

    @Test
    void buildWithoutDestinationFails() {
        assertThatThrownBy(() -> Route.path("/x").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x: no destination (expected: .to(upstream), .split(s) or .handler(h))");
        assertThatThrownBy(() -> Route.prefix("/api").id("api").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route api: no destination (expected: .to(upstream), .split(s) or .handler(h))");
    }

    @Test
    void buildWithBothDestinationsFails() {
        assertThatThrownBy(() -> Route.path("/x").to("u").handler(ex -> { }).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("route /x: both an upstream and a handler (expected: one of them)");
    }

    @Test
    void idDefaultsToTheTemplate() {
        assertThat(Route.prefix("/api").to("u").build().id()).isEqualTo("/api/**");
        assertThat(Route.path("/x").id("x-route").to("u").build().id()).isEqualTo("x-route");
    }

    @Test
    void stripPrefixMustNotBeNegative() {
        assertThatThrownBy(() -> Route.path("/x").stripPrefix(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.stripPrefix: -1 (expected: >= 0)");
    }

    @Test
    void rewriteRegexIsValidated() {
        assertThatThrownBy(() -> Route.path("/x").rewrite("(", "/y"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("route.rewrite: '(' is not a regular expression: ");
    }

    @Test
    void rewriteReplacementIsValidatedAtBuildTimeNotPerRequest() {
        assertThatThrownBy(() -> Route.path("/x").rewrite("^/x$", "/y/$1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.rewrite: replacement '/y/$1' refers to group 1 but '^/x$' has 0 groups");
        assertThatThrownBy(() -> Route.path("/x").rewrite("^/(?<a>x)$", "/y/${b}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.rewrite: replacement '/y/${b}' refers to group 'b' which '^/(?<a>x)$' does not define");
        assertThatThrownBy(() -> Route.path("/x").rewrite("^/x$", "/y$"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.rewrite: replacement '/y$' has a '$' without a group (expected: $1, ${name}, or \\$ for a literal '$')");
        assertThatThrownBy(() -> Route.path("/x").rewrite("^/x$", "/y\\"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("route.rewrite: replacement '/y\\' ends with a lone '\\' (expected: \\\\ for a literal '\\')");

        // valid replacements still build and apply
        Route ok = Route.path("/x/{id}").rewrite("^/x/(?<id>\\d+)$", "/\\$/${id}/$1/$0").to("u").build();
        assertThat(ok.upstreamPath("/x/5")).isEqualTo("/$/5/5//x/5");
        // $12 with one group means group 1 then a literal '2', as in java.util.regex
        assertThat(Route.path("/x").rewrite("^/(x)$", "/$12").to("u").build().upstreamPath("/x")).isEqualTo("/x2");
    }

    @Test
    void specIsImmutable() {
        Route r = Route.path("/x").methods("GET").to("u").build();
        assertThatThrownBy(() -> r.methods().add("POST")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(r.middleware()).isEqualTo(List.of());
        assertThat(r.upstream()).isEqualTo("u");
        assertThat(r.handler()).isNull();
        assertThat(r.toString()).isEqualTo("Route[/x [GET] -> u]");
    }
}
