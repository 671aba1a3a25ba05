package dev.tollgate.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A raw-socket HTTP/1.x client for the tests no well-behaved client can write: malformed request
 * lines, smuggling attempts, half-sent bodies, pipelining. It sends exactly the bytes given and parses
 * responses leniently (Content-Length, chunked with trailers, or read-until-close bodies).
 *
 * <p>Every read takes a timeout and honours it through {@code SO_TIMEOUT}, so a test never hangs on a
 * silent server. Not thread-safe: one test thread drives one connection.
 */
public final class RawHttp implements AutoCloseable {

    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;
    private static final int MAX_LINE_BYTES = 64 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buffer = new byte[16 * 1024];
    private int position;
    private int limit;
    private long deadlineNanos;
    private Duration timeout;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code 127.0.0.1:port}. @throws IOException when the connect fails (within 2 s) */
    public static RawHttp connect(int port) throws IOException {
        return connect("127.0.0.1", port);
    }

    /** Connects to {@code host:port}. @throws IOException when the connect fails (within 2 s) */
    public static RawHttp connect(String host, int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            return new RawHttp(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends {@code request} as ISO-8859-1 bytes, exactly as written (write {@code \r\n} yourself). */
    public RawHttp send(String request) throws IOException {
        return send(request.getBytes(ISO_8859_1));
    }

    /** Sends the bytes as they are and flushes. */
    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /**
     * Reads one response with its body. A 1xx interim response is returned on its own; call again for
     * the final one. Bodies of 204 and 304 are empty.
     *
     * @throws SocketTimeoutException when the whole response has not arrived within {@code timeout}
     * @throws EOFException when the peer closed the connection before the response was complete
     */
    public RawResponse readResponse(Duration timeout) throws IOException {
        return read(timeout, false);
    }

    /** Reads the response to a {@code HEAD} request: status and headers, never a body. */
    public RawResponse readHeadResponse(Duration timeout) throws IOException {
        return read(timeout, true);
    }

    /**
     * Whether the peer closes the connection (EOF or reset) within {@code timeout}. Bytes that arrive
     * meanwhile are discarded, so read the response you care about first.
     */
    public boolean isClosedByPeer(Duration timeout) throws IOException {
        startDeadline(timeout);
        try {
            while (fill()) {
                position = limit;
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) { // connection reset
            return true;
        }
    }

    /** Every byte that arrives until the peer closes (EOF or reset) or {@code timeout} passes. */
    public byte[] readAll(Duration timeout) throws IOException {
        startDeadline(timeout);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            while (fill()) {
                all.write(buffer, position, limit - position);
                position = limit;
            }
        } catch (SocketTimeoutException | SocketException e) {
            // what arrived so far is the answer
        }
        return all.toByteArray();
    }

    /** Half-closes: sends FIN so the server sees the end of the request stream; reading still works. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** The underlying socket, for tests that need its options. */
    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private RawResponse read(Duration timeout, boolean headOnly) throws IOException {
        startDeadline(timeout);
        String statusLine = readLine();
        String[] parts = statusLine.split(" ", 3);
        int status;
        try {
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new NumberFormatException();
            }
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("malformed status line: '" + statusLine + "'");
        }
        Map<String, List<String>> headers = readFields();
        String transferEncoding = String.join(",", headers.getOrDefault("Transfer-Encoding", List.of()));
        boolean chunked = transferEncoding.toLowerCase(Locale.ROOT).contains("chunked");
        List<String> contentLength = headers.get("Content-Length");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Map<String, List<String>> trailers = HeaderMultimap.empty();
        if (headOnly || status < 200 || status == 204 || status == 304) {
            // no body by definition
        } else if (chunked) {
            trailers = readChunked(body);
        } else if (contentLength != null) {
            long length;
            try {
                length = Long.parseLong(contentLength.get(0).trim());
            } catch (NumberFormatException e) {
                throw new IOException("malformed Content-Length: " + contentLength);
            }
            readExactly(length, body);
        } else {
            while (fill()) {
                body.write(buffer, position, limit - position);
                position = limit;
            }
        }
        return new RawResponse(statusLine, status, headers, body.toByteArray(), trailers, chunked);
    }

    private Map<String, List<String>> readChunked(ByteArrayOutputStream body) throws IOException {
        while (true) {
            String sizeLine = readLine();
            int extension = sizeLine.indexOf(';');
            String hex = (extension < 0 ? sizeLine : sizeLine.substring(0, extension)).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("malformed chunk size line: '" + sizeLine + "'");
            }
            if (size == 0) {
                return readFields();
            }
            readExactly(size, body);
            if (!readLine().isEmpty()) {
                throw new IOException("chunk of " + size + " bytes not followed by CRLF");
            }
        }
    }

    private Map<String, List<String>> readFields() throws IOException {
        HeaderMultimap fields = new HeaderMultimap();
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line: '" + line + "'");
            }
            fields.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        return fields.freeze();
    }

    private void readExactly(long length, ByteArrayOutputStream body) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            if (!fill()) {
                throw new EOFException("connection closed with " + remaining + " of " + length + " body bytes missing");
            }
            int n = (int) Math.min(remaining, limit - position);
            body.write(buffer, position, n);
            position += n;
            remaining -= n;
        }
    }

    /** A line without its CRLF (a bare LF also ends a line). */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            if (!fill()) {
                throw new EOFException("connection closed by peer"
                        + (line.size() > 0 ? " mid-line: '" + line.toString(ISO_8859_1) + "'" : ""));
            }
            byte b = buffer[position++];
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, ISO_8859_1);
            }
            line.write(b);
            if (line.size() > MAX_LINE_BYTES) {
                throw new IOException("line longer than " + MAX_LINE_BYTES + " bytes");
            }
        }
    }

    private void startDeadline(Duration timeout) {
        this.timeout = timeout;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    }

    /** Makes buffered bytes available; false on EOF. Each socket read waits at most until the deadline. */
    private boolean fill() throws IOException {
        if (position < limit) {
            return true;
        }
        long remainingMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (remainingMillis <= 0) {
            throw new SocketTimeoutException("no complete answer within " + timeout.toMillis() + " ms");
        }
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remainingMillis));
        int n;
        try {
            n = in.read(buffer);
        } catch (SocketTimeoutException e) {
            throw new SocketTimeoutException("no complete answer within " + timeout.toMillis() + " ms");
        }
        if (n < 0) {
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }
}
