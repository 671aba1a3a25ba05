package dev.tollgate.middleware.logging;

import dev.tollgate.middleware.logging.internal.TraceParent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TraceParentTest {

    @Test
    void readsTheTraceIdOfAValidHeader() {
        assertThat(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(TraceParent.traceId(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 "))
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        // a later version may carry more fields after the four known ones
        assertThat(TraceParent.traceId("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"))
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void ignoresMalformedHeaders() {
        assertThat(TraceParent.traceId(null)).isNull();
        assertThat(TraceParent.traceId("")).isNull();
        assertThat(TraceParent.traceId("garbage")).isNull();
        assertThat(TraceParent.traceId("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")).as("upper case").isNull();
        assertThat(TraceParent.traceId("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).as("zero trace").isNull();
        assertThat(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")).as("zero parent").isNull();
        assertThat(TraceParent.traceId("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).as("version ff").isNull();
        assertThat(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")).as("v00 extra").isNull();
        assertThat(TraceParent.traceId("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).isNull();
        assertThat(TraceParent.traceId("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")).isNull();
    }
}
