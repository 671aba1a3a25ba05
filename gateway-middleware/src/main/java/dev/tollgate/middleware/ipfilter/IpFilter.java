package dev.tollgate.middleware.ipfilter;

import dev.tollgate.error.Problem;
import dev.tollgate.error.ProblemResponder;
import dev.tollgate.middleware.Middleware;
import dev.tollgate.net.ClientAddress;
import io.undertow.server.HttpHandler;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Admits or refuses a request by its real client address ({@link ClientAddress#of}: the socket peer,
 * or the {@code X-Forwarded-For} chain read only through the gateway's trusted proxies, so a client
 * that forges the header from an untrusted address gains nothing).
 *
 * <p>Rules: an address in a deny range is refused; otherwise, when there are allow ranges, an address
 * outside all of them is refused; otherwise it is admitted. Deny wins over allow. A request without
 * an IP peer is refused (fail closed). A refusal is {@code 403 application/problem+json} with code
 * {@code ip-forbidden} ({@link #FORBIDDEN}).
 *
 * <p>Ranges are IPv4 or IPv6 CIDRs or bare addresses; IPv4-mapped IPv6 clients match IPv4 ranges.
 * The ranges are merged into sorted intervals, so a check is a binary search (thousands of ranges
 * stay cheap). Immutable and thread-safe; the handler runs on the IO thread and never blocks.
 */
public final class IpFilter implements Middleware {

    /** The answer to a refused client. */
    public static final Problem FORBIDDEN = Problem.of(403, "ip-forbidden", "The client address is not allowed");

    private final AddressRanges allow;
    private final AddressRanges deny;
    private final int allowCount;
    private final int denyCount;

    private IpFilter(Builder b) {
        this.allow = AddressRanges.of(b.allow);
        this.deny = AddressRanges.of(b.deny);
        this.allowCount = b.allow.size();
        this.denyCount = b.deny.size();
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that admits only these ranges. @throws IllegalArgumentException for a bad range */
    public static Builder allow(String... cidrs) {
        return builder().allow(cidrs);
    }

    /** A builder that refuses these ranges. @throws IllegalArgumentException for a bad range */
    public static Builder deny(String... cidrs) {
        return builder().deny(cidrs);
    }

    /** Whether a request from {@code client} is admitted; false for null. Any thread. */
    public boolean permits(InetAddress client) {
        if (client == null || deny.contains(client)) {
            return false;
        }
        return allow.isEmpty() || allow.contains(client);
    }

    @Override
    public HttpHandler wrap(HttpHandler next) {
        Objects.requireNonNull(next, "next");
        return exchange -> {
            if (permits(ClientAddress.of(exchange))) {
                next.handleRequest(exchange);
            } else {
                ProblemResponder.send(exchange, FORBIDDEN);
            }
        };
    }

    @Override
    public String toString() {
        return "IpFilter[allow=" + allowCount + " ranges, deny=" + denyCount + " ranges]";
    }

    /** Builds an {@link IpFilter}. Not thread-safe. */
    public static final class Builder {
        private final List<String> allow = new ArrayList<>();
        private final List<String> deny = new ArrayList<>();

        private Builder() {
        }

        /** Adds ranges to admit. @throws IllegalArgumentException for a bad range */
        public Builder allow(String... cidrs) {
            return allow(Arrays.asList(cidrs));
        }

        /** Adds ranges to admit. @throws IllegalArgumentException for a bad range */
        public Builder allow(Collection<String> cidrs) {
            add("ipFilter.allow", allow, cidrs);
            return this;
        }

        /** Adds ranges to refuse; they win over allowed ones. @throws IllegalArgumentException for a bad range */
        public Builder deny(String... cidrs) {
            return deny(Arrays.asList(cidrs));
        }

        /** Adds ranges to refuse; they win over allowed ones. @throws IllegalArgumentException for a bad range */
        public Builder deny(Collection<String> cidrs) {
            add("ipFilter.deny", deny, cidrs);
            return this;
        }

        private static void add(String name, List<String> to, Collection<String> cidrs) {
            Objects.requireNonNull(cidrs, name);
            for (String c : cidrs) {
                Objects.requireNonNull(c, name);
                try {
                    dev.tollgate.net.Cidr.parse(c);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
                }
                to.add(c.trim());
            }
        }

        /**
         * @throws IllegalStateException when no range was given (a filter that admits everything is a
         *                               configuration mistake)
         */
        public IpFilter build() {
            if (allow.isEmpty() && deny.isEmpty()) {
                throw new IllegalStateException("ipFilter: no ranges (expected: allow(...) and/or deny(...))");
            }
            return new IpFilter(this);
        }
    }
}
