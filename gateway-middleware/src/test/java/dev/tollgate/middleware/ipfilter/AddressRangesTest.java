package dev.tollgate.middleware.ipfilter;

import dev.tollgate.net.Cidr;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The range matcher: boundaries, merging, both families, and agreement with {@link Cidr#contains} on random data. */
class AddressRangesTest {

    private static InetAddress ip(String s) {
        return Cidr.parseAddress(s);
    }

    @Test
    void ipv4Boundaries() {
        AddressRanges r = AddressRanges.of(List.of("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12"));
        assertThat(r.contains(ip("9.255.255.255"))).isFalse();
        assertThat(r.contains(ip("10.0.0.0"))).isTrue();
        assertThat(r.contains(ip("10.255.255.255"))).isTrue();
        assertThat(r.contains(ip("11.0.0.0"))).isFalse();
        assertThat(r.contains(ip("192.168.1.7"))).isTrue();
        assertThat(r.contains(ip("192.168.1.6"))).isFalse();
        assertThat(r.contains(ip("192.168.1.8"))).isFalse();
        assertThat(r.contains(ip("172.31.255.255"))).isTrue();
        assertThat(r.contains(ip("172.32.0.0"))).isFalse();
        assertThat(r.contains(ip("0.0.0.0"))).isFalse();
        assertThat(r.contains(ip("255.255.255.255"))).isFalse();
        assertThat(r.contains(ip("::a00:1"))).isFalse(); // an IPv6 address is not an IPv4 one
    }

    @Test
    void ipv6Boundaries() {
        AddressRanges r = AddressRanges.of(List.of("2001:db8::/32", "::1", "fe80::/10", "2001:db8:ffff:ffff:8000::/65"));
        assertThat(r.contains(ip("2001:db8::"))).isTrue();
        assertThat(r.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(r.contains(ip("2001:db9::"))).isFalse();
        assertThat(r.contains(ip("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"))).isFalse();
        assertThat(r.contains(ip("::1"))).isTrue();
        assertThat(r.contains(ip("::2"))).isFalse();
        assertThat(r.contains(ip("::"))).isFalse();
        assertThat(r.contains(ip("febf:ffff::1"))).isTrue();
        assertThat(r.contains(ip("fec0::"))).isFalse();
        assertThat(r.contains(ip("127.0.0.1"))).isFalse();
        AddressRanges half = AddressRanges.of(List.of("2001:db8:0:0:8000::/65"));
        assertThat(half.contains(ip("2001:db8::8000:0:0:0"))).isTrue();
        assertThat(half.contains(ip("2001:db8::7fff:ffff:ffff:ffff"))).isFalse();
        assertThat(half.contains(ip("2001:db8::1:0:0:0:0"))).isFalse();
    }

    @Test
    void wholeSpacesAndMappedAddresses() {
        AddressRanges all4 = AddressRanges.of(List.of("0.0.0.0/0"));
        assertThat(all4.contains(ip("255.255.255.255"))).isTrue();
        assertThat(all4.contains(ip("::ffff:1.2.3.4"))).isTrue();
        assertThat(all4.contains(ip("2001:db8::1"))).isFalse();
        AddressRanges all6 = AddressRanges.of(List.of("::/0"));
        assertThat(all6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(all6.contains(ip("::"))).isTrue();
        AddressRanges mapped = AddressRanges.of(List.of("::ffff:10.0.0.0/104"));
        assertThat(mapped.contains(ip("10.1.2.3"))).isTrue();
        assertThat(mapped.contains(ip("11.0.0.0"))).isFalse();
    }

    @Test
    void overlappingAndAdjacentRangesMerge() {
        AddressRanges r = AddressRanges.of(List.of("10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/24", "10.0.0.5",
                "2001:db8::/33", "2001:db8:8000::/33", "2001:db8:1::/48", "255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertThat(r.intervals()).isEqualTo(4);
        assertThat(r.contains(ip("10.0.1.255"))).isTrue();
        assertThat(r.contains(ip("10.0.2.0"))).isFalse();
        assertThat(r.contains(ip("2001:db8:ffff::1"))).isTrue();
    }

    @Test
    void agreesWithCidrOnRandomData() {
        Random random = new Random(42);
        List<String> texts = new ArrayList<>();
        List<Cidr> cidrs = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            String t = i % 2 == 0
                    ? randomV4(random) + "/" + (22 + random.nextInt(11))
                    : randomV6(random) + "/" + (52 + random.nextInt(77));
            texts.add(t);
            cidrs.add(Cidr.parse(t));
        }
        AddressRanges ranges = AddressRanges.of(texts);
        int hits = 0;
        for (int i = 0; i < 6_000; i++) {
            InetAddress a = ip(i % 2 == 0 ? randomV4(random) : randomV6(random));
            boolean expected = cidrs.stream().anyMatch(c -> c.contains(a));
            assertThat(ranges.contains(a)).as(a.toString()).isEqualTo(expected);
            hits += expected ? 1 : 0;
        }
        // the data must exercise both answers
        assertThat(hits).isGreaterThan(600).isLessThan(5_400);
    }

    // random addresses from a few dense blocks, so that ranges and probes overlap often
    private static String randomV4(Random r) {
        return (10 + r.nextInt(3)) + "." + r.nextInt(4) + "." + r.nextInt(256) + "." + r.nextInt(256);
    }

    private static String randomV6(Random r) {
        return "2001:db8:" + Integer.toHexString(r.nextInt(4)) + ":" + Integer.toHexString(r.nextInt(65536)) + "::"
                + Integer.toHexString(r.nextInt(65536));
    }

    @Test
    void badRangesAreRefusedWithTheSharedMessage() {
        assertThatThrownBy(() -> IpFilter.allow("10.0.0.0/33"))
                .hasMessage("ipFilter.allow: cidr: '10.0.0.0/33' has prefix length out of range (expected: 0..32)");
        assertThatThrownBy(() -> IpFilter.deny("evil.example"))
                .hasMessage("ipFilter.deny: cidr: 'evil.example' is not an IP address or range (expected: e.g. 10.0.0.0/8 or ::1)");
        assertThatThrownBy(() -> IpFilter.builder().build())
                .hasMessage("ipFilter: no ranges (expected: allow(...) and/or deny(...))");
    }

    @Test
    void denyWinsOverAllow() {
        IpFilter f = IpFilter.allow("10.0.0.0/8", "2001:db8::/32").deny("10.6.6.0/24", "2001:db8:bad::/48").build();
        assertThat(f.permits(ip("10.1.1.1"))).isTrue();
        assertThat(f.permits(ip("10.6.6.6"))).isFalse();
        assertThat(f.permits(ip("11.0.0.1"))).isFalse();
        assertThat(f.permits(ip("2001:db8:1::1"))).isTrue();
        assertThat(f.permits(ip("2001:db8:bad::1"))).isFalse();
        assertThat(f.permits(null)).isFalse();
        IpFilter denyOnly = IpFilter.deny("10.6.6.0/24").build();
        assertThat(denyOnly.permits(ip("192.0.2.1"))).isTrue();
        assertThat(denyOnly.permits(ip("10.6.6.1"))).isFalse();
    }
}
