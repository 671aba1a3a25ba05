package dev.tollgate.middleware.ipfilter;

import dev.tollgate.Gateway;
import dev.tollgate.middleware.Raw;
import dev.tollgate.proxy.ProxyOptions;
import dev.tollgate.route.Route;
import dev.tollgate.testing.RawResponse;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.upstream.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** IP filtering through a real gateway, on the real client address, with and without trusted proxies. */
class IpFilterIT {

    private static TestBackend backend;
    private Gateway gateway;

    @BeforeAll
    static void backend() {
        backend = TestBackend.start();
    }

    @AfterAll
    static void closeBackend() {
        backend.close();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private void start(String host, IpFilter filter, List<String> trusted, int hops) {
        gateway = Gateway.builder().host(host).port(0)
                .proxy(ProxyOptions.builder().trustedProxies(trusted).trustedHops(hops))
                .upstream(Upstream.builder("b").endpoint(backend.uri().toString()))
                .use(filter)
                .route(Route.prefix("/").to("b"))
                .build().start();
    }

    private void start(IpFilter filter) {
        start("127.0.0.1", filter, List.of(), 1);
    }

    private int status(String... headers) throws IOException {
        return Raw.send(gateway.port(), "GET", "/x", headers).status();
    }

    private void assertForbidden(String... headers) throws IOException {
        long before = backend.requestCount();
        RawResponse r = Raw.send(gateway.port(), "GET", "/x", headers);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(r.body()).contains("\"code\":\"ip-forbidden\"").contains("\"status\":403");
        assertThat(backend.requestCount()).isEqualTo(before);
    }

    @Test
    void allowAndDenyOnTheSocketPeer() throws Exception {
        start(IpFilter.allow("127.0.0.0/8").build());
        assertThat(status()).isEqualTo(200);
        gateway.close();
        start(IpFilter.allow("192.0.2.0/24", "2001:db8::/32").build());
        assertForbidden();
        gateway.close();
        start(IpFilter.deny("127.0.0.1").build());
        assertForbidden();
    }

    @Test
    void denyWinsOverAllow() throws Exception {
        start(IpFilter.allow("127.0.0.0/8").deny("127.0.0.1/32").build());
        assertForbidden();
    }

    @Test
    void aForgedForwardedForFromAnUntrustedPeerGainsNothing() throws Exception {
        start(IpFilter.allow("203.0.113.0/24").build());
        assertForbidden("X-Forwarded-For: 203.0.113.5");
        assertForbidden("X-Forwarded-For: 203.0.113.5, 203.0.113.6");
        gateway.close();
        // nor does it escape a deny list
        start(IpFilter.deny("127.0.0.0/8").build());
        assertForbidden("X-Forwarded-For: 198.51.100.7");
        assertForbidden("X-Forwarded-For: 198.51.100.7", "X-Real-IP: 198.51.100.7", "Forwarded: for=198.51.100.7");
    }

    @Test
    void throughATrustedProxyTheForwardedClientIsJudged() throws Exception {
        start("127.0.0.1", IpFilter.allow("203.0.113.0/24", "2001:db8::/32").deny("203.0.113.66").build(),
                List.of("127.0.0.0/8", "10.0.0.0/8"), 5);
        assertThat(status("X-Forwarded-For: 203.0.113.5")).isEqualTo(200);
        assertThat(backend.lastRequest().path()).isEqualTo("/x");
        assertThat(status("X-Forwarded-For: 203.0.113.5, 10.0.0.1")).isEqualTo(200);
        assertThat(status("X-Forwarded-For: 2001:db8::7")).isEqualTo(200);
        assertForbidden("X-Forwarded-For: 198.51.100.7");
        assertForbidden("X-Forwarded-For: 203.0.113.66");
        assertForbidden("X-Forwarded-For: 2001:db9::7");
        // the client wrote the left entry itself; the trusted proxy appended what it saw
        assertForbidden("X-Forwarded-For: 203.0.113.5, 198.51.100.7");
        // garbage stops at the last trusted hop, which is not allowed
        assertForbidden("X-Forwarded-For: 203.0.113.5, not-an-ip");
        // no header: the proxy itself is the client
        assertForbidden();
    }

    @Test
    void theHopCountCapsTheWalk() throws Exception {
        start("127.0.0.1", IpFilter.allow("203.0.113.0/24").build(), List.of("127.0.0.0/8", "10.0.0.0/8"), 1);
        assertThat(status("X-Forwarded-For: 203.0.113.5")).isEqualTo(200);
        assertForbidden("X-Forwarded-For: 203.0.113.5, 10.0.0.5");
    }

    @Test
    void ipv6Peers() throws Exception {
        assumeTrue(ipv6Loopback(), "this machine has no IPv6 loopback; AddressRangesTest covers IPv6 matching");
        start("::1", IpFilter.allow("::1/128").build(), List.of(), 1);
        assertThat(Raw.send("::1", gateway.port(), "GET", "/x").status()).isEqualTo(200);
        gateway.close();
        start("::1", IpFilter.allow("2001:db8::/32", "127.0.0.0/8").build(), List.of(), 1);
        RawResponse r = Raw.send("::1", gateway.port(), "GET", "/x");
        assertThat(r.status()).isEqualTo(403);
        gateway.close();
        start("::1", IpFilter.deny("::/0").build(), List.of(), 1);
        assertThat(Raw.send("::1", gateway.port(), "GET", "/x").status()).isEqualTo(403);
    }

    private static boolean ipv6Loopback() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
