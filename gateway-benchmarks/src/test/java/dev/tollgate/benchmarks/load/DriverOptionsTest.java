package dev.tollgate.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DriverOptionsTest {

    @Test
    void defaults() {
        DriverOptions options = DriverOptions.parse();

        assertThat(options.connections()).isEqualTo(64);
        assertThat(options.duration()).isEqualTo(Duration.ofSeconds(10));
        assertThat(options.warmup()).isEqualTo(Duration.ofSeconds(3));
        assertThat(options.rate()).isEqualTo(2000);
        assertThat(options.targets()).containsExactly("direct", "undertow-proxy", "tollgate");
        assertThat(options.ioThreads()).isEqualTo(2);
        assertThat(options.rounds()).isEqualTo(3);
        assertThat(options.external()).isEmpty();
    }

    @Test
    void parsesEveryOption() {
        DriverOptions options = DriverOptions.parse("--connections=8", "--duration=5", "--warmup=0", "--rate=500",
                "--targets=undertow-proxy, direct", "--path=/x?y=1", "--io-threads=4", "--max-requests=1000", "--rounds=5",
                "--external=http://127.0.0.1:8048");

        assertThat(options.connections()).isEqualTo(8);
        assertThat(options.duration()).isEqualTo(Duration.ofSeconds(5));
        assertThat(options.warmup()).isZero();
        assertThat(options.rate()).isEqualTo(500);
        assertThat(options.targets()).isEqualTo(List.of("undertow-proxy", "direct"));
        assertThat(options.path()).isEqualTo("/x?y=1");
        assertThat(options.ioThreads()).isEqualTo(4);
        assertThat(options.maxRequests()).isEqualTo(1000);
        assertThat(options.rounds()).isEqualTo(5);
        assertThat(options.external()).contains(URI.create("http://127.0.0.1:8048"));
    }

    @Test
    void theObservedGatewayIsATargetOnlyWhenAskedFor() {
        assertThat(DriverOptions.parse().targets()).doesNotContain("tollgate-observed");
        assertThat(DriverOptions.parse("--targets=tollgate,tollgate-observed").targets())
                .containsExactly("tollgate", "tollgate-observed");
    }

    @Test
    void explainsBadArguments() {
        assertThatThrownBy(() -> DriverOptions.parse("--conections=8"))
                .hasMessageStartingWith("unknown option --conections (known: connections, duration,");
        assertThatThrownBy(() -> DriverOptions.parse("connections=8"))
                .hasMessage("argument 'connections=8' (expected: --key=value)");
        assertThatThrownBy(() -> DriverOptions.parse("--duration=0"))
                .hasMessage("--duration: 0 (expected: 1..3600)");
        assertThatThrownBy(() -> DriverOptions.parse("--rounds=0"))
                .hasMessage("--rounds: 0 (expected: 1..100)");
        assertThatThrownBy(() -> DriverOptions.parse("--rate=fast"))
                .hasMessage("--rate: 'fast' (expected: an integer in 1..1000000)");
        assertThatThrownBy(() -> DriverOptions.parse("--targets=direct,nginx"))
                .hasMessage("--targets: 'nginx' (known: direct, undertow-proxy, tollgate, tollgate-observed)");
        assertThatThrownBy(() -> DriverOptions.parse("--external=http://192.168.1.10:80"))
                .hasMessageStartingWith("--external: host: '192.168.1.10'")
                .hasMessageContaining("loopback");
    }
}
