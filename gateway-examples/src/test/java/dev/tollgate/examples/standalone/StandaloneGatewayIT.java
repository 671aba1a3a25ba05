package dev.tollgate.examples.standalone;

import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The runnable gateway as an operator runs it: a separate JVM, configured by environment variables. */
class StandaloneGatewayIT {

    private static final Pattern PORT = Pattern.compile("tollgate standalone: port (\\d+)");
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private Process process;
    private Thread reader;

    @AfterEach
    void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private Process launch(Map<String, String> env) throws IOException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        // the runner's own logging configuration, not the tests' (which logs warnings only)
        String logback = StandaloneGateway.class.getResource("/logback.xml").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-Dlogback.configurationFile=" + logback,
                "-cp", System.getProperty("java.class.path"),
                StandaloneGateway.class.getName()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_") || k.equals("ADMIN_PORT"));
        pb.environment().putAll(env);
        process = pb.start();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        return process;
    }

    private int awaitPort() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher m = PORT.matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            assertThat(process.isAlive()).as("gateway process alive; output: %s", output).isTrue();
        }
        throw new AssertionError("the gateway did not report its port; output: " + output);
    }

    @Test
    void sigtermDrainsInFlightRequestsAndExitsZero() throws Exception {
        try (TestBackend backend = TestBackend.start("target")) {
            launch(Map.of("GATEWAY_PORT", "0", "GATEWAY_BACKEND_TARGET", backend.uri().toString(),
                    "GATEWAY_DRAIN_TIMEOUT", "10s"));
            int port = awaitPort();
            HttpResponse<String> quick = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/anything")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(quick.statusCode()).isEqualTo(200);
            assertThat(quick.headers().firstValue("X-Backend")).hasValue("target");

            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/delay/700")).build(),
                    HttpResponse.BodyHandlers.ofString());
            backend.awaitRequestCount(2, Duration.ofSeconds(5));
            // SIGTERM through the handle: Process.destroy() would also close our end of its output
            process.toHandle().destroy();
            HttpResponse<String> drained = slow.get(10, TimeUnit.SECONDS);
            assertThat(drained.statusCode()).isEqualTo(200);
            assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
            reader.join(5000); // the last lines may still be in the pipe
            assertThat(output).anyMatch(l -> l.contains("signal received: draining"))
                    .anyMatch(l -> l.contains("gateway stopped (drained: true)"));
        }
    }

    @Test
    void badVariableStopsStartupWithItsNameAndValue() throws Exception {
        launch(Map.of("GATEWAY_PORT", "eighty"));
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        reader.join(5000);
        assertThat(output).anyMatch(l -> l.contains("GATEWAY_PORT: 'eighty' is not a whole number"));
    }

    @Test
    void withoutATargetItStartsTheDemoBackend() throws Exception {
        launch(Map.of("GATEWAY_PORT", "0"));
        int port;
        try {
            port = awaitPort();
        } catch (AssertionError e) {
            // port 8048 may be taken on this machine; that is reported clearly rather than hanging
            assertThat(output).anyMatch(l -> l.contains("8048"));
            return;
        }
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/anything")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"backend\":\"demo\"").contains("\"path\":\"/anything\"");
        assertThat(output).anyMatch(l -> l.contains("started the demo backend"));
        process.toHandle().destroy();
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }
}
