package dev.tollgate.observe;

import dev.tollgate.upstream.Endpoint;
import io.undertow.server.HttpServerExchange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CompositeListenerTest {

    @Test
    void everyListenerHearsEveryEventEvenWhenOneThrows() {
        List<String> heard = new ArrayList<>();
        GatewayListener throwing = new GatewayListener() {
            @Override
            public void requestStarted(HttpServerExchange exchange) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
                throw new IllegalStateException("boom");
            }
        };
        GatewayListener recording = new GatewayListener() {
            @Override
            public void requestStarted(HttpServerExchange exchange) {
                heard.add("started");
            }

            @Override
            public void attemptCompleted(HttpServerExchange exchange, String upstream, Endpoint endpoint, int attempt,
                                         AttemptOutcome outcome, int status, long durationNanos) {
                heard.add("attempt " + upstream + " " + attempt + " " + outcome + " " + status);
            }

            @Override
            public void endpointHealthChanged(String upstream, Endpoint endpoint, boolean available, String reason) {
                heard.add("health " + upstream + " " + endpoint + " " + available + " " + reason);
            }
        };
        GatewayListener composite = GatewayListener.composite(List.of(throwing, recording));
        assertThat(composite).isInstanceOf(CompositeListener.class);
        composite.requestStarted(null);
        composite.attemptCompleted(null, "orders", null, 2, AttemptOutcome.RESPONSE, 200, 5);
        composite.endpointHealthChanged("orders", Endpoint.of("http://a:80"), false, "ejected");
        assertThat(heard).containsExactly("started", "attempt orders 2 RESPONSE 200",
                "health orders http://a:80 false ejected");
    }

    @Test
    void theCompositeForwardsEveryEventTheInterfaceHas() throws Exception {
        for (java.lang.reflect.Method m : GatewayListener.class.getDeclaredMethods()) {
            if (m.isDefault()) {
                assertThat(CompositeListener.class.getDeclaredMethod(m.getName(), m.getParameterTypes()))
                        .as("CompositeListener overrides %s", m.getName()).isNotNull();
            }
        }
    }
}
