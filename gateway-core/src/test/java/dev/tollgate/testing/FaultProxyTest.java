package dev.tollgate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tests each {@link FaultProxy} mode in front of a {@link TestBackend}. */
class FaultProxyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestBackend backend;
    private FaultProxy proxy;

    @BeforeAll
    static void startBackend() {
        backend = TestBackend.start("behind-proxy");
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    @BeforeEach
    void startProxy() throws IOException {
        proxy = FaultProxy.start(backend.port());
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    @Test
    void passForwardsBothWays() throws Exception {
        HttpResponse<String> response = get("/echo?x=1", TIMEOUT);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue(TestBackend.BACKEND_HEADER)).hasValue("behind-proxy");
        assertThat(response.body()).contains("\"query\":\"x=1\"");
        assertThat(proxy.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void passStreamsLargeBodies() throws Exception {
        HttpResponse<byte[]> response = CLIENT.send(
                HttpRequest.newBuilder(proxy.uri().resolve("/bytes/3000000")).timeout(TIMEOUT).build(),
                BodyHandlers.ofByteArray());

        assertThat(response.body()).hasSize(3_000_000);
        assertThat(response.body()[2_999_999]).isEqualTo(TestBackend.patternByte(2_999_999));
    }

    @Test
    void resetFailsTheClientWithAnIoException() {
        proxy.mode(FaultProxy.Mode.RESET);

        assertThatThrownBy(() -> get("/echo", TIMEOUT)).isInstanceOf(IOException.class);
        assertThat(proxy.connectionsAccepted()).isPositive();
    }

    @Test
    void resetIsAnIoExceptionForARawClientToo() {
        proxy.mode(FaultProxy.Mode.RESET);

        // the RST may land during connect, on send or on read: whichever, the client gets an IOException
        assertThatThrownBy(() -> {
            try (RawHttp raw = RawHttp.connect(proxy.port())) {
                raw.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
                raw.readResponse(TIMEOUT);
            }
        }).isInstanceOf(IOException.class).isNotInstanceOf(SocketTimeoutException.class);
    }

    @Test
    void blackholeLeavesTheClientToTimeOut() {
        long before = backend.requestCount();
        proxy.mode(FaultProxy.Mode.BLACKHOLE);

        assertThatThrownBy(() -> get("/echo", Duration.ofMillis(300))).isInstanceOf(HttpTimeoutException.class);
        assertThat(proxy.connectionsAccepted()).isEqualTo(1);
        assertThat(backend.requestCount()).isEqualTo(before);
    }

    @Test
    void refuseRefusesConnectsThenPassWorksOnTheSamePort() throws Exception {
        int port = proxy.port();
        proxy.mode(FaultProxy.Mode.REFUSE);

        assertThatThrownBy(() -> RawHttp.connect(port)).isInstanceOf(ConnectException.class);

        proxy.mode(FaultProxy.Mode.PASS);
        assertThat(proxy.port()).isEqualTo(port);
        assertThat(get("/echo", TIMEOUT).statusCode()).isEqualTo(200);
    }

    @Test
    void delayHoldsTheResponseBack() throws Exception {
        proxy.mode(FaultProxy.Mode.delay(Duration.ofMillis(250)));
        long start = System.nanoTime();

        assertThat(get("/echo", TIMEOUT).statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }

    @Test
    void dripSendsTheResponseByteByByte() throws Exception {
        proxy.mode(FaultProxy.Mode.drip(Duration.ofMillis(1)));
        try (RawHttp raw = RawHttp.connect(proxy.port())) {
            long start = System.nanoTime();
            raw.send("GET /bytes/50 HTTP/1.1\r\nHost: x\r\n\r\n");
            RawResponse response = raw.readResponse(TIMEOUT);

            assertThat(response.bodyBytes()).hasSize(50);
            // every header and body byte paid at least the drip interval
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        }
    }

    @Test
    void switchingToResetKillsAnOpenConnection() throws Exception {
        try (RawHttp raw = RawHttp.connect(proxy.port())) {
            raw.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.readResponse(TIMEOUT).status()).isEqualTo(200);

            proxy.mode(FaultProxy.Mode.RESET);
            raw.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.isClosedByPeer(TIMEOUT)).isTrue();
        }
    }

    @Test
    void closeClosesOpenConnections() throws Exception {
        try (RawHttp raw = RawHttp.connect(proxy.port())) {
            raw.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.readResponse(TIMEOUT).status()).isEqualTo(200);
            assertThat(proxy.openConnections()).isEqualTo(1);

            proxy.close();

            assertThat(raw.isClosedByPeer(TIMEOUT)).isTrue();
        }
    }

    private HttpResponse<String> get(String path, Duration timeout) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(proxy.uri().resolve(path)).timeout(timeout).build(),
                BodyHandlers.ofString());
    }
}
