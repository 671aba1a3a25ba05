package dev.tollgate.net;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client address as middleware see it, through a real gateway, with and without trusted proxies. */
class ClientAddressIT {

    private final HttpClient client = HttpClient.newHttpClient();
    private Gateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private void start(List<String> trusted, int hops) {
        gateway = Gateway.builder().host("127.0.0.1").port(0)
                .proxy(dev.tollgate.proxy.ProxyOptions.builder().trustedProxies(trusted).trustedHops(hops))
                .route(Route.prefix("/").handler(ex -> {
                    InetAddress a = ClientAddress.of(ex);
                    ex.getResponseSender().send(a == null ? "none" : a.getHostAddress());
                }))
                .build().start();
    }

    private String client(String xff) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/who"));
        if (xff != null) {
            b.header("X-Forwarded-For", xff);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void anUntrustedPeerCannotForgeItsAddress() throws Exception {
        start(List.of(), 10);
        assertThat(client("203.0.113.9")).isEqualTo("127.0.0.1");
        assertThat(client(null)).isEqualTo("127.0.0.1");
    }

    @Test
    void aTrustedPeerIsSteppedOverToTheFirstUntrustedHop() throws Exception {
        start(List.of("127.0.0.0/8", "10.0.0.0/8"), 10);
        assertThat(client("203.0.113.9")).isEqualTo("203.0.113.9");
        // the client forged 1.2.3.4; the trusted proxy 10.0.0.5 appended what it saw: 198.51.100.7
        assertThat(client("1.2.3.4, 198.51.100.7, 10.0.0.5")).isEqualTo("198.51.100.7");
        assertThat(client("2001:db8::1")).isEqualTo("2001:db8:0:0:0:0:0:1");
        assertThat(client(null)).isEqualTo("127.0.0.1");
    }

    @Test
    void garbageStopsTheWalkAtTheLastTrustedHop() throws Exception {
        start(List.of("127.0.0.0/8", "10.0.0.0/8"), 10);
        assertThat(client("evil.example, 10.0.0.5")).isEqualTo("10.0.0.5");
        assertThat(client("999.1.1.1")).isEqualTo("127.0.0.1");
    }

    @Test
    void theHopLimitCapsTheWalk() throws Exception {
        start(List.of("127.0.0.0/8", "10.0.0.0/8"), 1);
        assertThat(client("203.0.113.9, 10.0.0.5")).isEqualTo("10.0.0.5");
    }

    @Test
    void badRulesFailFast() {
        assertThatThrownBy(() -> ClientAddress.rule(TrustedProxies.none(), -1))
                .hasMessage("clientAddress.maxHops: -1 (expected: >= 0)");
    }
}
