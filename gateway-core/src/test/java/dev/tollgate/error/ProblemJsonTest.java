package dev.tollgate.error;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The problem+json body, with and without the request ID member. */
class ProblemJsonTest {

    @Test
    void theRequestIdIsAnExtensionMemberWhenPresent() {
        assertThat(ProblemResponder.toJson(Problem.FORBIDDEN, "/x", null))
                .isEqualTo(ProblemResponder.toJson(Problem.FORBIDDEN, "/x"))
                .isEqualTo("{\"type\":\"https://tollgate.dev/problems/forbidden\",\"title\":\"Forbidden\",\"status\":403,"
                        + "\"code\":\"forbidden\",\"instance\":\"/x\"}");
        assertThat(ProblemResponder.toJson(Problem.FORBIDDEN, "/x", "id-1"))
                .isEqualTo("{\"type\":\"https://tollgate.dev/problems/forbidden\",\"title\":\"Forbidden\",\"status\":403,"
                        + "\"code\":\"forbidden\",\"instance\":\"/x\",\"requestId\":\"id-1\"}");
        // whatever a middleware set is quoted, never spliced in
        assertThat(ProblemResponder.toJson(Problem.FORBIDDEN, null, "a\"b\\c"))
                .endsWith(",\"requestId\":\"a\\\"b\\\\c\"}");
    }
}
