package dev.tollgate.examples.standalone;

import com.sun.net.httpserver.HttpServer;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.EnvConfig;
import dev.tollgate.Gateway;
import dev.tollgate.testing.Await;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standalone runner's logging variables: their errors, and a real run that ships its logs. */
class LoggingEnvIT {

    private static final Pattern PORT = Pattern.compile("tollgate standalone: port (\\d+)");
    private final List<String> console = Collections.synchronizedList(new ArrayList<>());
    private final List<String> shipped = Collections.synchronizedList(new ArrayList<>());
    private Process process;
    private HttpServer ingest;

    @AfterEach
    void stop() {
        if (process != null) {
            process.destroyForcibly();
        }
        if (ingest != null) {
            ingest.stop(0);
        }
    }

    private static void configure(Map<String, String> vars) {
        LoggingEnv.apply(EnvConfig.of(vars), Gateway.builder(), null);
    }

    @Test
    void badValuesNameTheirVariable() {
        assertThatThrownBy(() -> configure(Map.of("LOG_FORMAT", "xml"))).isInstanceOf(ConfigException.class)
                .hasMessage("LOG_FORMAT: 'xml' (expected: text or json)");
        assertThatThrownBy(() -> configure(Map.of("ACCESS_LOG_ENABLED", "maybe"))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("ACCESS_LOG_ENABLED: 'maybe' is not a boolean");
        assertThatThrownBy(() -> configure(Map.of("LOG_SLOW_REQUEST_THRESHOLD", "soon"))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("LOG_SLOW_REQUEST_THRESHOLD: ");
        assertThatThrownBy(() -> configure(Map.of("LOG_INGEST_ENABLED", "true"))).isInstanceOf(ConfigException.class)
                .hasMessage("LOG_INGEST_URL: not set (expected: the ingest's http or https URL, since LOG_INGEST_ENABLED is true)");
        assertThatThrownBy(() -> configure(Map.of("LOG_INGEST_ENABLED", "true", "LOG_INGEST_URL", "ftp://logs/")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("LOG_INGEST_URL='ftp://logs/': logShipping.url: 'ftp://logs/' (expected: an http or https URL with a host)");
        assertThatThrownBy(() -> configure(Map.of("LOG_INGEST_ENABLED", "true", "LOG_INGEST_URL", "http://a b/")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("LOG_INGEST_URL='http://a b/': ");
        // valid values and the off switches pass
        configure(Map.of("LOG_FORMAT", "json", "ACCESS_LOG_ENABLED", "false", "LOG_SLOW_REQUEST_THRESHOLD", "0",
                "LOG_INGEST_URL", "not used while shipping is off"));
    }

    @Test
    void aBadVariableStopsTheRunnerWithExitCode2() throws Exception {
        launch(Map.of("GATEWAY_PORT", "0", "LOG_FORMAT", "yaml"));
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        Await.until(() -> console.stream().anyMatch(l -> l.contains("LOG_FORMAT: 'yaml' (expected: text or json)")),
                "the message on the console");
    }

    @Test
    void theRunnerWritesJsonAndShipsEveryLineIncludingThoseJustBeforeShutdown() throws Exception {
        startIngest();
        try (TestBackend backend = TestBackend.start("target")) {
            Map<String, String> env = new HashMap<>();
            env.put("GATEWAY_PORT", "0");
            env.put("GATEWAY_BACKEND_TARGET", backend.uri().toString());
            env.put("LOG_FORMAT", "json");
            env.put("LOG_SLOW_REQUEST_THRESHOLD", "100ms");
            env.put("LOG_INGEST_ENABLED", "true");
            env.put("LOG_INGEST_URL", "http://127.0.0.1:" + ingest.getAddress().getPort() + "/ingest");
            launch(env);
            int port = awaitPort();
            HttpClient client = HttpClient.newHttpClient();
            for (String path : List.of("/first", "/delay/200", "/last")) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
            // SIGTERM at once: the lines still queued are flushed on the way out
            process.toHandle().destroy();
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        }
        Await.until(() -> shipped.stream().anyMatch(l -> l.contains("\"path\":\"/last\"")), Duration.ofSeconds(5),
                "the last access line at the ingest");
        assertThat(shipped).allMatch(l -> l.startsWith("{\"") && l.endsWith("}"))
                .anyMatch(l -> l.contains("\"logger\":\"tollgate.access\"") && l.contains("\"path\":\"/first\"")
                        && l.contains("\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"") && l.contains("\"status\":200"))
                .anyMatch(l -> l.contains("\"logger\":\"tollgate.slow\"") && l.contains("\"path\":\"/delay/200\""))
                .anyMatch(l -> l.contains("tollgate standalone: port"));
        // the console got the same lines, as JSON too
        Await.until(() -> console.stream().anyMatch(l -> l.contains("\"path\":\"/last\"")), "the console's last access line");
        assertThat(console).filteredOn(l -> l.contains("\"logger\":\"tollgate.access\"")).hasSize(3)
                .allMatch(l -> l.startsWith("{\"level\":\"INFO\",\"logger\":\"tollgate.access\","));
    }

    @Test
    void theTextAccessLogIsOnByDefaultWhateverTheLevelAndOffWhenDisabled() throws Exception {
        try (TestBackend backend = TestBackend.start("target")) {
            for (boolean enabled : new boolean[]{true, false}) {
                console.clear();
                int port;
                try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                    port = free.getLocalPort(); // at WARN the runner does not log its port
                }
                launch(Map.of("GATEWAY_PORT", Integer.toString(port), "GATEWAY_HOST", "127.0.0.1",
                        "GATEWAY_BACKEND_TARGET", backend.uri().toString(), "LOG_LEVEL", "WARN",
                        "ACCESS_LOG_ENABLED", Boolean.toString(enabled)));
                HttpRequest hello = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello?x=1")).build();
                Await.until(() -> {
                    assertThat(process.isAlive()).as("runner alive; output: %s", console).isTrue();
                    try {
                        return HttpClient.newHttpClient().send(hello, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                    } catch (IOException | InterruptedException e) {
                        return false; // not listening yet
                    }
                }, Duration.ofSeconds(20), "the runner to answer");
                process.toHandle().destroy();
                assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
                // the shutdown hook flushed the async console before the exit
                if (enabled) {
                    assertThat(console).anyMatch(l -> l.contains(" INFO  [") && l.contains(" tollgate.access [") // the request ID the standalone request-ID middleware set
                            && l.contains("] - GET /hello?x=1 200 "
                            + "route=default upstream=backend endpoint=127.0.0.1:" + backend.port() + " client=127.0.0.1 in=0 out="));
                } else {
                    assertThat(console).noneMatch(l -> l.contains("tollgate.access"));
                }
                assertThat(console).noneMatch(l -> l.contains(" INFO ") && !l.contains("tollgate.access"));
            }
        }
    }

    private void startIngest() throws IOException {
        ingest = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        ingest.createContext("/ingest", ex -> {
            try (ex; InputStream in = ex.getRequestBody()) {
                byte[] body = in.readAllBytes();
                try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(body))) {
                    for (String line : new String(gz.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                        if (!line.isEmpty()) {
                            shipped.add(line);
                        }
                    }
                }
                ex.sendResponseHeaders(204, -1);
            }
        });
        ingest.start();
    }

    private void launch(Map<String, String> env) throws IOException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String logback = StandaloneGateway.class.getResource("/logback.xml").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-Dlogback.configurationFile=" + logback,
                "-cp", System.getProperty("java.class.path"), StandaloneGateway.class.getName()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_") || k.startsWith("LOG_") || k.startsWith("ACCESS_LOG"));
        pb.environment().putAll(env);
        process = pb.start();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    console.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "standalone-output");
        t.setDaemon(true);
        t.start();
    }

    private int awaitPort() {
        int[] port = {-1};
        Await.until(() -> {
            assertThat(process.isAlive()).as("runner alive; output: %s", console).isTrue();
            synchronized (console) {
                for (String line : console) {
                    Matcher m = PORT.matcher(line);
                    if (m.find()) {
                        port[0] = Integer.parseInt(m.group(1));
                    }
                }
            }
            return port[0] > 0;
        }, Duration.ofSeconds(20), "the runner's port; output: " + console);
        return port[0];
    }
}
