package dev.tollgate.framing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.Gateway;
import dev.tollgate.Limits;
import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed and ambiguous request framing, sent over raw sockets: each is rejected with the
 * documented status and the connection closed within a second, and the backend never sees it.
 *
 * <p>Two layers answer. The gateway's {@code RequestGuard} (and router) answer with
 * {@code application/problem+json} and a {@code code}. Undertow's own parser rejects some requests
 * before any handler runs; it answers a bare {@code 400} without a body and closes. Those cases are
 * the ones asserted with {@link #assertParserRejects}: request-line garbage; Content-Length with
 * Transfer-Encoding; every bad Content-Length (duplicate, same or different, non-numeric, negative,
 * {@code +5}, 20 digits); Transfer-Encoding on two lines; missing Host in HTTP/1.1, duplicate Host,
 * Host with invalid characters, absolute-form authority differing from Host (Undertow's
 * HostHeaderHandler); a bare LF, whitespace before the colon, NUL in a value; more header lines than
 * {@code MAX_HEADERS}; one header bigger than {@code MAX_HEADER_SIZE}.
 */
class MalformedRequestIT extends GatewayFixture {

    @BeforeEach
    void start() {
        backend = TestBackend.start();
        gateway = gateway(Limits.defaults());
    }

    // ---- helpers

    /** Sends the request; expects a problem+json answer with the status and code, then a close; backend untouched. */
    RawResponse assertProblem(String request, int status, String code) throws IOException {
        long before = backend.requestCount();
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send(request);
            RawResponse r = c.readResponse(ONE_SECOND);
            assertThat(r.status()).as("status of %s", r).isEqualTo(status);
            assertThat(r.header("Content-Type")).as("content type of %s", r).isEqualTo("application/problem+json");
            assertThat(r.body()).as("body of %s", r).contains("\"code\":\"" + code + "\"");
            assertThat(c.isClosedByPeer(ONE_SECOND)).as("connection closed within 1 s").isTrue();
            assertThat(backend.requestCount()).as("backend requests").isEqualTo(before);
            return r;
        }
    }

    /** Undertow's parser rejects it before the gateway runs: a bare 400, no problem body, then a close. */
    void assertParserRejects(String request) throws IOException {
        long before = backend.requestCount();
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send(request);
            RawResponse r = c.readResponse(ONE_SECOND);
            assertThat(r.status()).as("status of %s", r).isEqualTo(400);
            assertThat(r.header("Content-Type")).as("no problem body from Undertow's parser")
                    .isNotEqualTo("application/problem+json");
            assertThat(c.isClosedByPeer(ONE_SECOND)).as("connection closed within 1 s").isTrue();
            assertThat(backend.requestCount()).as("backend requests").isEqualTo(before);
        }
    }

    static String get(String target, String... headerLines) {
        StringBuilder sb = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    static String post(String... headerLines) {
        StringBuilder sb = new StringBuilder("POST /sink HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    // ---- baseline

    @Test
    void wellFormedRequestReachesBackend() throws IOException {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send(post("Content-Length: 5") + "hello");
            RawResponse r = c.readResponse(ONE_SECOND);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("\"bodyBytes\":5");
        }
        assertThat(backend.requestCount()).isEqualTo(1);
    }

    // ---- Content-Length and Transfer-Encoding

    @Test
    void contentLengthWithChunkedIsRejected() throws IOException {
        assertParserRejects(post("Content-Length: 5", "Transfer-Encoding: chunked") + "5\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void duplicateContentLengthSameValueIsRejected() throws IOException {
        assertParserRejects(post("Content-Length: 5", "Content-Length: 5") + "hello");
    }

    @Test
    void duplicateContentLengthDifferentValuesIsRejected() throws IOException {
        assertParserRejects(post("Content-Length: 5", "Content-Length: 6") + "hello!");
    }

    @Test
    void nonNumericContentLengthIsRejected() throws IOException {
        assertParserRejects(post("Content-Length: five") + "hello");
    }

    @Test
    void negativeContentLengthIsRejected() throws IOException {
        assertParserRejects(post("Content-Length: -5") + "hello");
    }

    @Test
    void plusSignedContentLengthIsRejected() throws IOException {
        assertParserRejects(post("Content-Length: +5") + "hello");
    }

    @Test
    void hugeContentLengthIsRejected() throws IOException {
        assertParserRejects(post("Content-Length: 99999999999999999999") + "hello");
    }

    @Test
    void transferEncodingGzipIsRejected() throws IOException {
        assertProblem(post("Transfer-Encoding: gzip") + "hello", 400, "bad-request");
    }

    @Test
    void transferEncodingGzipChunkedIsNotImplemented() throws IOException {
        assertProblem(post("Transfer-Encoding: gzip, chunked") + "5\r\nhello\r\n0\r\n\r\n", 501, "not-implemented");
    }

    @Test
    void chunkedTwiceIsRejected() throws IOException {
        assertProblem(post("Transfer-Encoding: chunked, chunked") + "5\r\nhello\r\n0\r\n\r\n", 400, "bad-request");
    }

    @Test
    void chunkedInTwoHeaderLinesIsRejected() throws IOException {
        assertParserRejects(post("Transfer-Encoding: chunked", "Transfer-Encoding: chunked") + "5\r\nhello\r\n0\r\n\r\n");
    }

    @Test
    void xchunkedIsRejected() throws IOException {
        assertProblem(post("Transfer-Encoding: xchunked") + "5\r\nhello\r\n0\r\n\r\n", 400, "bad-request");
    }

    @Test
    void transferEncodingInHttp10IsRejected() throws IOException {
        assertProblem("POST /sink HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                400, "bad-request");
    }

    // ---- header syntax

    /*
     * Undertow 2.4 replaces an obs-fold with one SP while parsing (RFC 9112 5.2 allows that or a 400),
     * so the gateway cannot tell a folded line from a value with a space in it, and forwards the
     * unfolded value on one line. Not a smuggling vector (the fold never reaches the backend), but not
     * the 400 the issue asks for: see the report. These tests pin what happens today.
     */
    @Test
    void obsFoldedHeaderIsUnfoldedNotForwardedAsAFold() throws IOException {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send(get("/x", "X-A: one", " two", "X-B: b"));
            assertThat(c.readResponse(ONE_SECOND).status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().headers().get("X-A")).containsExactly("one two");
        assertThat(backend.lastRequest().headers()).doesNotContainKey(" two").containsKey("X-B");
    }

    @Test
    void obsFoldedHeaderWithTabIsUnfoldedNotForwardedAsAFold() throws IOException {
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            c.send(get("/x", "X-A: one", "\ttwo"));
            assertThat(c.readResponse(ONE_SECOND).status()).isEqualTo(200);
        }
        assertThat(backend.lastRequest().headers().get("X-A")).containsExactly("one two");
    }

    @Test
    void bareLfInHeaderSectionIsRejected() throws IOException {
        assertParserRejects("GET /x HTTP/1.1\r\nHost: localhost\r\nX-A: a\nX-B: b\r\n\r\n");
    }

    @Test
    void whitespaceBeforeColonIsRejected() throws IOException {
        assertParserRejects(get("/x", "X-A : a"));
    }

    @Test
    void nulInHeaderValueIsRejected() throws IOException {
        assertParserRejects(get("/x", "X-A: a\u0000b"));
    }

    // ---- Host

    @Test
    void missingHostInHttp11IsRejected() throws IOException {
        assertParserRejects("GET /x HTTP/1.1\r\n\r\n");
    }

    @Test
    void duplicateHostIsRejected() throws IOException {
        assertParserRejects(get("/x", "Host: evil.example"));
    }

    @Test
    void hostWithInvalidCharactersIsRejected() throws IOException {
        assertParserRejects("GET /x HTTP/1.1\r\nHost: exa mple/<x>\r\n\r\n");
    }

    // ---- request target

    @Test
    void requestLineGarbageIsRejected() throws IOException {
        assertParserRejects("\u0001\u0002garbage nonsense\r\n\r\n");
    }

    @Test
    void absoluteFormWithDifferentHostIsRejected() throws IOException {
        assertParserRejects("GET http://evil.example/x HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }

    @Test
    void pathAboveRootIsRejected() throws IOException {
        assertProblem(get("/../etc/passwd"), 400, "bad-request");
    }

    @Test
    void encodedDotsAboveRootAreRejected() throws IOException {
        assertProblem(get("/%2e%2e/x"), 400, "bad-request");
    }

    @Test
    void asteriskFormIsNotForwarded() throws IOException {
        assertProblem("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "bad-request");
    }

    // ---- header limits

    @Test
    void tooManyHeadersGet431() throws IOException {
        String[] headers = new String[150];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = "X-H" + i + ": v";
        }
        assertProblem(get("/x", headers), 431, "headers-too-large");
    }

    @Test
    void tooManyHeaderBytesGet431() throws IOException {
        String[] headers = new String[10];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = "X-H" + i + ": " + "v".repeat(4000);
        }
        assertProblem(get("/x", headers), 431, "headers-too-large");
    }

    @Test
    void moreHeadersThanUndertowsParserLimit() throws IOException {
        String[] headers = new String[300];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = "X-H" + i + ": v";
        }
        assertParserRejects(get("/x", headers));
    }

    @Test
    void headerBiggerThanUndertowsParserLimit() throws IOException {
        long before = backend.requestCount();
        try (RawHttp c = RawHttp.connect(gateway.port())) {
            try {
                c.send(get("/x", "X-Huge: " + "v".repeat(200 * 1024)));
                RawResponse r = c.readResponse(ONE_SECOND);
                assertThat(r.status()).as("status of %s", r).isEqualTo(400);
            } catch (SocketException | EOFException closedWhileSending) {
                // the parser gave up before the rest arrived and closed: also a refusal, and no hang
            }
            assertThat(c.isClosedByPeer(ONE_SECOND)).as("connection closed within 1 s").isTrue();
        }
        assertThat(backend.requestCount()).as("backend requests").isEqualTo(before);
    }

    // ---- body limits

    @Test
    void declaredBodyOverLimitGets413BeforeTheBodyIsSent() throws IOException {
        restart(Limits.builder().maxRequestBodyBytes(1024).build());
        assertProblem(post("Content-Length: 1025"), 413, "body-too-large");
    }
}
