package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponseParserTest {

    private static final String FIXED = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"b c\"}";
    private static final String CHUNKED = "HTTP/1.1 201 Created\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"
            + "4\r\nWiki\r\n"
            + "6;ext=1\r\npedia \r\n"
            + "E\r\nin \r\n\r\nchunks.\r\n"
            + "0\r\nX-Trailer: yes\r\n\r\n";
    private static final String EMPTY = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
    private static final String NOT_FOUND = "HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\nConnection: close\r\n\r\nnop";

    @Test
    void framesFixedLengthChunkedAndEmptyResponsesInOneBuffer() throws IOException {
        ResponseParser parser = new ResponseParser();

        List<String> seen = feedInPieces(parser, FIXED + CHUNKED + EMPTY + NOT_FOUND, Integer.MAX_VALUE);

        assertThat(seen).containsExactly("200 keep-alive", "201 keep-alive", "204 keep-alive", "404 close");
        assertThat(parser.midResponse()).isFalse();
    }

    @Test
    void framesResponsesSplitAtEveryPossibleBoundary() throws IOException {
        String stream = FIXED + CHUNKED + EMPTY + NOT_FOUND;
        for (int piece = 1; piece <= 40; piece++) {
            List<String> seen = feedInPieces(new ResponseParser(), stream, piece);
            assertThat(seen).as("pieces of %d bytes", piece)
                    .containsExactly("200 keep-alive", "201 keep-alive", "204 keep-alive", "404 close");
        }
        // and every single split point of two responses into exactly two buffers
        String two = CHUNKED + FIXED;
        for (int cut = 0; cut <= two.length(); cut++) {
            ResponseParser parser = new ResponseParser();
            List<String> seen = new ArrayList<>();
            feed(parser, bytes(two.substring(0, cut)), seen);
            feed(parser, bytes(two.substring(cut)), seen);
            assertThat(seen).as("cut at %d", cut).containsExactly("201 keep-alive", "200 keep-alive");
        }
    }

    @Test
    void reportsMidResponseUntilTheLastByte() throws IOException {
        ResponseParser parser = new ResponseParser();
        ByteBuffer all = bytes(FIXED);

        ByteBuffer allButOne = all.duplicate();
        allButOne.limit(all.limit() - 1);
        assertThat(parser.feed(allButOne)).isFalse();
        assertThat(parser.midResponse()).isTrue();

        ByteBuffer last = all.duplicate();
        last.position(all.limit() - 1);
        assertThat(parser.feed(last)).isTrue();
        assertThat(parser.midResponse()).isFalse();
    }

    @Test
    void skipsInterimResponses() throws IOException {
        List<String> seen = feedInPieces(new ResponseParser(), "HTTP/1.1 100 Continue\r\n\r\n" + FIXED, 3);

        assertThat(seen).containsExactly("200 keep-alive");
    }

    @Test
    void bodyWithoutLengthEndsAtConnectionClose() throws IOException {
        ResponseParser parser = new ResponseParser();

        assertThat(parser.feed(bytes("HTTP/1.1 200 OK\r\n\r\nuntil the end"))).isFalse();

        assertThat(parser.endOfInput()).isTrue();
        assertThat(parser.status()).isEqualTo(200);
        assertThat(parser.keepAlive()).isFalse();
    }

    @Test
    void closeInTheMiddleOfAResponseIsAnError() throws IOException {
        ResponseParser parser = new ResponseParser();
        parser.feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"));

        assertThatThrownBy(parser::endOfInput)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("connection closed in the middle of a response");
    }

    @Test
    void closeBetweenResponsesIsNotAnError() throws IOException {
        ResponseParser parser = new ResponseParser();
        assertThat(parser.feed(bytes(FIXED))).isTrue();

        assertThat(parser.endOfInput()).isFalse();
    }

    @Test
    void rejectsMalformedInput() {
        assertThatThrownBy(() -> new ResponseParser().feed(bytes("SMTP ready\r\n")))
                .isInstanceOf(IOException.class).hasMessageStartingWith("malformed status line");
        assertThatThrownBy(() -> new ResponseParser().feed(bytes("HTTP/1.1 2x0 OK\r\n")))
                .isInstanceOf(IOException.class).hasMessageStartingWith("malformed status code");
        assertThatThrownBy(() -> new ResponseParser().feed(bytes("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n")))
                .isInstanceOf(IOException.class).hasMessageStartingWith("bad Content-Length");
        assertThatThrownBy(() -> new ResponseParser().feed(bytes("HTTP/1.1 200 OK\r\nno colon here\r\n")))
                .isInstanceOf(IOException.class).hasMessageStartingWith("malformed header line");
        assertThatThrownBy(() -> new ResponseParser().feed(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")))
                .isInstanceOf(IOException.class).hasMessageStartingWith("bad chunk size");
        assertThatThrownBy(() -> new ResponseParser().feed(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n")))
                .isInstanceOf(IOException.class).hasMessage("expected CRLF after chunk data");
        assertThatThrownBy(() -> new ResponseParser().feed(bytes("HTTP/1.1 200 OK\r\nX: " + "a".repeat(20_000))))
                .isInstanceOf(IOException.class).hasMessageStartingWith("response line longer than 16384 bytes");
    }

    private static List<String> feedInPieces(ResponseParser parser, String stream, int pieceBytes) throws IOException {
        List<String> seen = new ArrayList<>();
        byte[] all = stream.getBytes(StandardCharsets.ISO_8859_1);
        for (int from = 0; from < all.length; from += pieceBytes) {
            int length = Math.min(pieceBytes, all.length - from);
            feed(parser, ByteBuffer.wrap(all, from, length), seen);
        }
        return seen;
    }

    private static void feed(ResponseParser parser, ByteBuffer in, List<String> seen) throws IOException {
        while (in.hasRemaining()) {
            if (parser.feed(in)) {
                seen.add(parser.status() + (parser.keepAlive() ? " keep-alive" : " close"));
            }
        }
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
