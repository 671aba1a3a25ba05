package dev.tollgate.framing;

import dev.tollgate.Gateway;
import dev.tollgate.Limits;
import dev.tollgate.testing.TestBackend;
import dev.tollgate.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;

import java.time.Duration;

/** A backend with a gateway in front, closed after each test; {@link #restart} swaps the limits. */
abstract class GatewayFixture {

    static final Duration ONE_SECOND = Duration.ofSeconds(1);

    TestBackend backend;
    Gateway gateway;

    /** Starts the gateway in front of {@link #backend}, which the subclass has started. */
    Gateway gateway(Limits limits) {
        return TestGateway.inFrontOf(backend.uri().toString())
                .limits(limits)
                .build().start();
    }

    void restart(Limits limits) {
        gateway.close();
        gateway = gateway(limits);
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }
}
