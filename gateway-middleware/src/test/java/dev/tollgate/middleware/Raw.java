package dev.tollgate.middleware;

import dev.tollgate.testing.RawHttp;
import dev.tollgate.testing.RawResponse;

import java.io.IOException;
import java.time.Duration;

/** One request over a fresh raw connection, with exactly the header lines given. */
public final class Raw {

    private Raw() {
    }

    /** Sends {@code method path} to 127.0.0.1:port with {@code Host} and the given {@code Name: value} lines. */
    public static RawResponse send(int port, String method, String path, String... headerLines) throws IOException {
        return send("127.0.0.1", port, method, path, headerLines);
    }

    /** Like {@link #send(int, String, String, String...)} to {@code host}. */
    public static RawResponse send(String host, int port, String method, String path, String... headerLines) throws IOException {
        StringBuilder sb = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: gw\r\n");
        for (String line : headerLines) {
            sb.append(line).append("\r\n");
        }
        sb.append("Connection: close\r\n\r\n");
        try (RawHttp raw = RawHttp.connect(host, port)) {
            raw.send(sb.toString());
            return method.equals("HEAD") ? raw.readHeadResponse(Duration.ofSeconds(10)) : raw.readResponse(Duration.ofSeconds(10));
        }
    }
}
