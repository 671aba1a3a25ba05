package dev.tollgate.middleware.ratelimit;

import dev.tollgate.testing.Await;
import org.junit.jupiter.api.Assumptions;
import redis.clients.jedis.Jedis;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} this test starts itself on a loopback port, so it may stop and restart it
 * (the machine's shared Redis is never touched). Without the binary, tests are skipped with a message
 * on a laptop and fail under {@code CI=true}.
 */
final class RedisServer implements AutoCloseable {

    private final String binary;
    private final int port;
    private final List<String> extra;
    private Process process;

    private RedisServer(String binary, int port, List<String> extra) {
        this.binary = binary;
        this.port = port;
        this.extra = extra;
    }

    /** Path of an executable on PATH; aborts (fails under CI=true) when missing. */
    static String require(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, name);
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        String message = name + " is not on PATH";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(message + "; CI=true requires it (apt-get install redis-server)");
        }
        return Assumptions.abort(message + "; install redis-server to run this test");
    }

    /** Starts a server without persistence on a free loopback port (and {@code port + 10000} free for a cluster bus). */
    static RedisServer start(String... extraArgs) throws IOException {
        String binary = require("redis-server");
        RedisServer server = new RedisServer(binary, freePort(), List.of(extraArgs));
        server.startProcess();
        return server;
    }

    int port() {
        return port;
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills the server (SIGKILL: no goodbye to clients) and waits until it is gone. */
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    /** Starts it again on the same port, empty. */
    void restart() throws IOException {
        startProcess();
    }

    private void startProcess() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary, "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no"));
        cmd.addAll(extra);
        Path log = Files.createTempFile("redis-" + port, ".log");
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Await.until(this::answers, Duration.ofSeconds(10), "redis-server on port " + port + " to answer PING");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; its log: " + Files.readString(log), e);
        }
    }

    boolean answers() {
        try (Jedis jedis = new Jedis("127.0.0.1", port, 500)) {
            return "PONG".equals(jedis.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    /** A loopback port that is free, with {@code port + 10000} free too (Redis Cluster's bus). */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            if (port + 10000 > 65535) {
                continue;
            }
            try (ServerSocket bus = new ServerSocket(port + 10000, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IOException("no free port pair found");
    }
}
