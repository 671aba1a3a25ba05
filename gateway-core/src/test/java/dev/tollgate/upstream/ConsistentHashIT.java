package dev.tollgate.upstream;

import dev.tollgate.Gateway;
import dev.tollgate.route.Route;
import dev.tollgate.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Consistent hashing through a real gateway: the key comes from the live request. */
class ConsistentHashIT {

    private final TestBackend one = TestBackend.start("one");
    private final TestBackend two = TestBackend.start("two");
    private final TestBackend three = TestBackend.start("three");
    private final HttpClient client = HttpClient.newHttpClient();
    private Gateway gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        one.close();
        two.close();
        three.close();
    }

    private Gateway gateway(HashKey key) {
        return Gateway.builder().host("127.0.0.1").port(0)
                .upstream(Upstream.builder("b").endpoint(one.uri()).endpoint(two.uri()).endpoint(three.uri())
                        .loadBalancer(LoadBalancer.consistentHash(key)))
                .route(Route.prefix("/").to("b"))
                .build().start();
    }

    private String backend(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.headers().firstValue(TestBackend.BACKEND_HEADER).orElseThrow();
    }

    @Test
    void theSameHeaderValueAlwaysReachesTheSameBackend() throws Exception {
        gateway = gateway(HashKey.header("X-User-Id"));
        Map<String, String> placed = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (int user = 0; user < 30; user++) {
                String b = backend("/r" + round, "X-User-Id", "user-" + user);
                assertThat(placed.putIfAbsent("user-" + user, b)).as("user-%d", user).isIn(null, b);
            }
        }
        assertThat(new HashSet<>(placed.values())).containsExactlyInAnyOrder("one", "two", "three");
    }

    @Test
    void theClientAddressKeepsOneClientOnOneBackend() throws Exception {
        gateway = gateway(HashKey.clientAddress());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            seen.add(backend("/x/" + i));
        }
        assertThat(seen).hasSize(1);
    }
}
