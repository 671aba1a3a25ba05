package dev.tollgate.benchmarks.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Incremental HTTP/1.1 response parser that frames responses and throws their bodies away.
 *
 * <p>Bodies are delimited by {@code Content-Length}, by chunked transfer coding (with trailers), or
 * by connection close when neither is present. Interim 1xx responses are skipped. Input may be
 * split anywhere; only the current line is copied. Not thread-safe: one per connection.
 */
final class ResponseParser {

    /** Longest status, header, chunk-size or trailer line accepted, in bytes. */
    static final int MAX_LINE_BYTES = 16 * 1024;

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");

    private enum State { STATUS_LINE, HEADER_LINE, FIXED_BODY, UNTIL_CLOSE_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER_LINE }

    private final byte[] line = new byte[MAX_LINE_BYTES];
    private int lineLength;
    private State state = State.STATUS_LINE;
    private long remaining;

    private int status;
    private long contentLength;
    private boolean chunked;
    private boolean close;
    private boolean midResponse;

    /**
     * Consumes bytes from {@code in} until one response is complete or {@code in} is empty.
     *
     * @return true if a response completed; its {@link #status()} and {@link #keepAlive()} are
     *     then valid, and {@code in} is left positioned after it
     * @throws IOException if the bytes are not a valid HTTP/1.1 response
     */
    boolean feed(ByteBuffer in) throws IOException {
        while (in.hasRemaining()) {
            switch (state) {
                case STATUS_LINE, HEADER_LINE, CHUNK_SIZE, CHUNK_END, TRAILER_LINE -> {
                    midResponse = true;
                    if (!readLine(in)) {
                        return false;
                    }
                    if (onLine()) {
                        return true;
                    }
                }
                case FIXED_BODY, CHUNK_DATA -> {
                    int skip = (int) Math.min(remaining, in.remaining());
                    in.position(in.position() + skip);
                    remaining -= skip;
                    if (remaining == 0) {
                        if (state == State.CHUNK_DATA) {
                            state = State.CHUNK_END;
                        } else {
                            return complete();
                        }
                    }
                }
                case UNTIL_CLOSE_BODY -> in.position(in.limit());
            }
        }
        return false;
    }

    /**
     * Tells the parser the peer closed the connection.
     *
     * @return true if that completed a close-delimited response
     * @throws IOException if a response was cut short
     */
    boolean endOfInput() throws IOException {
        if (state == State.UNTIL_CLOSE_BODY) {
            return complete();
        }
        if (midResponse) {
            throw new IOException("connection closed in the middle of a response (state " + state + ")");
        }
        return false;
    }

    /** Status code of the last completed response. */
    int status() {
        return status;
    }

    /** Whether the connection may carry another request after the last completed response. */
    boolean keepAlive() {
        return !close;
    }

    /** Whether part of a response has been consumed and the rest is still expected. */
    boolean midResponse() {
        return midResponse;
    }

    private boolean complete() {
        state = State.STATUS_LINE;
        midResponse = false;
        return true;
    }

    /** Appends bytes up to and including LF; returns true when the line (without CRLF) is whole. */
    private boolean readLine(ByteBuffer in) throws IOException {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (b == '\n') {
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return true;
            }
            if (lineLength == line.length) {
                throw new IOException("response line longer than " + MAX_LINE_BYTES + " bytes in state " + state);
            }
            line[lineLength++] = b;
        }
        return false;
    }

    /** Handles the complete line in {@link #line}; returns true if a response completed. */
    private boolean onLine() throws IOException {
        int length = lineLength;
        lineLength = 0;
        switch (state) {
            case STATUS_LINE -> {
                parseStatusLine(length);
                contentLength = -1;
                chunked = false;
                close = false;
                state = State.HEADER_LINE;
                return false;
            }
            case HEADER_LINE -> {
                if (length == 0) {
                    return endOfHeaders();
                }
                parseHeader(length);
                return false;
            }
            case CHUNK_SIZE -> {
                long size = parseChunkSize(length);
                if (size == 0) {
                    state = State.TRAILER_LINE;
                } else {
                    remaining = size;
                    state = State.CHUNK_DATA;
                }
                return false;
            }
            case CHUNK_END -> {
                if (length != 0) {
                    throw new IOException("expected CRLF after chunk data");
                }
                state = State.CHUNK_SIZE;
                return false;
            }
            case TRAILER_LINE -> {
                return length == 0 && complete();
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private boolean endOfHeaders() throws IOException {
        if (status >= 100 && status < 200) {
            if (status == 101) {
                throw new IOException("unexpected 101 Switching Protocols");
            }
            state = State.STATUS_LINE; // interim response; the final one follows
            return false;
        }
        if (status == 204 || status == 304) {
            return complete();
        }
        if (chunked) {
            state = State.CHUNK_SIZE;
            return false;
        }
        if (contentLength >= 0) {
            if (contentLength == 0) {
                return complete();
            }
            remaining = contentLength;
            state = State.FIXED_BODY;
            return false;
        }
        close = true;
        state = State.UNTIL_CLOSE_BODY;
        return false;
    }

    private void parseStatusLine(int length) throws IOException {
        // "HTTP/1.1 200 OK": the code is three digits after the first space
        if (length < 12 || line[0] != 'H' || line[1] != 'T' || line[2] != 'T' || line[3] != 'P' || line[4] != '/'
                || line[8] != ' ') {
            throw new IOException("malformed status line: " + text(0, length));
        }
        int code = 0;
        for (int i = 9; i < 12; i++) {
            int digit = line[i] - '0';
            if (digit < 0 || digit > 9) {
                throw new IOException("malformed status code: " + text(0, length));
            }
            code = code * 10 + digit;
        }
        status = code;
        if (line[5] == '1' && line[7] == '0') {
            close = true; // HTTP/1.0 closes unless told otherwise; keep it simple
        }
    }

    private void parseHeader(int length) throws IOException {
        int colon = -1;
        for (int i = 0; i < length; i++) {
            if (line[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon <= 0) {
            throw new IOException("malformed header line: " + text(0, length));
        }
        int valueStart = colon + 1;
        int valueEnd = length;
        while (valueStart < valueEnd && (line[valueStart] == ' ' || line[valueStart] == '\t')) {
            valueStart++;
        }
        while (valueEnd > valueStart && (line[valueEnd - 1] == ' ' || line[valueEnd - 1] == '\t')) {
            valueEnd--;
        }
        if (equalsIgnoreCase(0, colon, CONTENT_LENGTH)) {
            contentLength = parseDecimal(valueStart, valueEnd);
        } else if (equalsIgnoreCase(0, colon, TRANSFER_ENCODING)) {
            chunked = containsIgnoreCase(valueStart, valueEnd, CHUNKED);
        } else if (equalsIgnoreCase(0, colon, CONNECTION)) {
            if (containsIgnoreCase(valueStart, valueEnd, CLOSE)) {
                close = true;
            }
        }
    }

    private long parseDecimal(int from, int to) throws IOException {
        if (from == to || to - from > 18) {
            throw new IOException("bad Content-Length: " + text(from, to));
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = line[i] - '0';
            if (digit < 0 || digit > 9) {
                throw new IOException("bad Content-Length: " + text(from, to));
            }
            value = value * 10 + digit;
        }
        return value;
    }

    private long parseChunkSize(int length) throws IOException {
        long size = 0;
        int digits = 0;
        for (int i = 0; i < length; i++) {
            byte b = line[i];
            int digit = Character.digit(b, 16);
            if (digit < 0) {
                if (b == ';' || b == ' ' || b == '\t') {
                    break; // chunk extensions are ignored
                }
                throw new IOException("bad chunk size: " + text(0, length));
            }
            if (++digits > 15) {
                throw new IOException("chunk size too large: " + text(0, length));
            }
            size = (size << 4) | digit;
        }
        if (digits == 0) {
            throw new IOException("bad chunk size: " + text(0, length));
        }
        return size;
    }

    private boolean equalsIgnoreCase(int from, int to, byte[] lowerCase) {
        if (to - from != lowerCase.length) {
            return false;
        }
        for (int i = 0; i < lowerCase.length; i++) {
            if (lower(line[from + i]) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean containsIgnoreCase(int from, int to, byte[] lowerCase) {
        for (int start = from; start + lowerCase.length <= to; start++) {
            if (equalsIgnoreCase(start, start + lowerCase.length, lowerCase)) {
                return true;
            }
        }
        return false;
    }

    private static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }

    private String text(int from, int to) {
        return new String(line, from, Math.min(to - from, 200), StandardCharsets.ISO_8859_1);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
