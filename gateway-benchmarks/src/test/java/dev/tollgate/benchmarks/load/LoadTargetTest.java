package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LoadTargetTest {

    @Test
    void acceptsLoopbackOnly() {
        assertThat(LoadTarget.of("127.0.0.1", 8080, "/").address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(LoadTarget.of("127.1.2.3", 8080, "/").address().getAddress().getHostAddress()).isEqualTo("127.1.2.3");
        assertThat(LoadTarget.of("localhost", 8080, "/").address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(LoadTarget.of(URI.create("http://[::1]:8080"), "/").address().getAddress().isLoopbackAddress()).isTrue();

        for (String host : new String[] {"10.0.0.1", "128.0.0.1", "0.0.0.0", "::2", "example.com", "127.0.0.1.nip.io", "300.0.0.1"}) {
            assertThatThrownBy(() -> LoadTarget.of(host, 8080, "/"))
                    .as(host)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("loopback");
        }
    }

    @Test
    void rejectsBadPortsPathsAndSchemes() {
        assertThatThrownBy(() -> LoadTarget.of("127.0.0.1", 0, "/"))
                .hasMessage("port: 0 (expected: 1..65535)");
        assertThatThrownBy(() -> LoadTarget.of("127.0.0.1", 80, "/a b"))
                .hasMessage("path: '/a b' (expected: starts with '/', printable ASCII, no spaces)");
        assertThatThrownBy(() -> LoadTarget.of("127.0.0.1", 80, "/x\r\nX-Injected: 1"))
                .hasMessageStartingWith("path: ");
        assertThatThrownBy(() -> LoadTarget.of(URI.create("https://127.0.0.1:8443"), "/"))
                .hasMessage("target: 'https://127.0.0.1:8443' (expected: http://127.0.0.1:PORT)");
    }

    @Test
    void buildsAKeepAliveGetWithHost() {
        LoadTarget target = LoadTarget.of(URI.create("http://[::1]:9000"), "/a?b=c");
        byte[] bytes = new byte[target.requestBytes().remaining()];
        target.requestBytes().get(bytes);

        assertThat(new String(bytes, StandardCharsets.US_ASCII))
                .startsWith("GET /a?b=c HTTP/1.1\r\nHost: [::1]:9000\r\n")
                .endsWith("\r\n\r\n")
                .doesNotContainIgnoringCase("connection: close");
    }
}
