package dev.tollgate.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CidrTest {

    // literals only: InetAddress.getByName does no lookup for these
    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** An IPv4-mapped IPv6 address as an Inet6Address (the JDK turns the text form into Inet4Address). */
    private static InetAddress mapped(int a, int b, int c, int d) throws UnknownHostException {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xFF;
        bytes[11] = (byte) 0xFF;
        bytes[12] = (byte) a;
        bytes[13] = (byte) b;
        bytes[14] = (byte) c;
        bytes[15] = (byte) d;
        return java.net.Inet6Address.getByAddress(null, bytes, -1);
    }

    @Test
    void ipv4Range() {
        Cidr c = Cidr.parse("10.1.0.0/16");
        assertThat(c.contains(ip("10.1.0.0"))).isTrue();
        assertThat(c.contains(ip("10.1.255.255"))).isTrue();
        assertThat(c.contains(ip("10.2.0.0"))).isFalse();
        assertThat(c.contains(ip("10.0.255.255"))).isFalse();
        assertThat(c.toString()).isEqualTo("10.1.0.0/16");
    }

    @Test
    void ipv4PrefixNotOnAByteBoundaryAndHostBitsIgnored() {
        Cidr c = Cidr.parse("192.168.1.77/27"); // network 192.168.1.64 - .95
        assertThat(c.contains(ip("192.168.1.64"))).isTrue();
        assertThat(c.contains(ip("192.168.1.95"))).isTrue();
        assertThat(c.contains(ip("192.168.1.63"))).isFalse();
        assertThat(c.contains(ip("192.168.1.96"))).isFalse();
    }

    @Test
    void slash32AndBareAddressAreOneAddress() {
        for (String text : List.of("203.0.113.7/32", "203.0.113.7", " 203.0.113.7 ")) {
            Cidr c = Cidr.parse(text);
            assertThat(c.contains(ip("203.0.113.7"))).as(text).isTrue();
            assertThat(c.contains(ip("203.0.113.6"))).as(text).isFalse();
            assertThat(c.contains(ip("203.0.113.8"))).as(text).isFalse();
        }
    }

    @Test
    void slash0MatchesEveryAddressOfItsFamilyOnly() {
        Cidr v4 = Cidr.parse("0.0.0.0/0");
        assertThat(v4.contains(ip("1.2.3.4"))).isTrue();
        assertThat(v4.contains(ip("255.255.255.255"))).isTrue();
        assertThat(v4.contains(ip("::1"))).isFalse();
        Cidr v6 = Cidr.parse("::/0");
        assertThat(v6.contains(ip("2001:db8::1"))).isTrue();
        assertThat(v6.contains(ip("1.2.3.4"))).isFalse();
    }

    @Test
    void ipv6Ranges() {
        Cidr c = Cidr.parse("2001:db8::/32");
        assertThat(c.contains(ip("2001:db8::1"))).isTrue();
        assertThat(c.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(c.contains(ip("2001:db9::"))).isFalse();
        assertThat(c.contains(ip("10.0.0.1"))).isFalse();

        Cidr odd = Cidr.parse("fd00::/7");
        assertThat(odd.contains(ip("fc00::1"))).isTrue();
        assertThat(odd.contains(ip("fdff::1"))).isTrue();
        assertThat(odd.contains(ip("fe00::1"))).isFalse();
    }

    @Test
    void slash128AndBracketedForm() {
        for (String text : List.of("::1/128", "::1", "[::1]", "[::1]/128", "0:0:0:0:0:0:0:1")) {
            Cidr c = Cidr.parse(text);
            assertThat(c.contains(ip("::1"))).as(text).isTrue();
            assertThat(c.contains(ip("::2"))).as(text).isFalse();
            assertThat(c.contains(ip("127.0.0.1"))).as(text).isFalse();
        }
    }

    @Test
    void ipv4MappedIpv6AddressesMatchIpv4Ranges() throws Exception {
        Cidr c = Cidr.parse("10.0.0.0/8");
        assertThat(c.contains(mapped(10, 1, 2, 3))).isTrue();
        assertThat(c.contains(mapped(11, 1, 2, 3))).isFalse();
        assertThat(Cidr.parse("10.1.2.3/32").contains(mapped(10, 1, 2, 3))).isTrue();
        // a v6 range does not treat a mapped address specially
        assertThat(Cidr.parse("2001:db8::/32").contains(mapped(10, 1, 2, 3))).isFalse();
    }

    @Test
    void ipv4MappedRangesWrittenInIpv6NotationAreIpv4Ranges() {
        // the JDK hands v4 peers over as Inet4Address, so ::ffff:a.b.c.d/N must cover them
        Cidr c = Cidr.parse("::ffff:10.0.0.0/104");
        assertThat(c.contains(ip("10.200.0.1"))).isTrue();
        assertThat(c.contains(ip("11.0.0.1"))).isFalse();
        Cidr all = Cidr.parse("::ffff:0:0/96");
        assertThat(all.contains(ip("192.0.2.1"))).isTrue();
        assertThat(Cidr.parse("::ffff:192.0.2.1").contains(ip("192.0.2.1"))).isTrue();
        assertThat(Cidr.parse("::ffff:192.0.2.1").contains(ip("192.0.2.2"))).isFalse();
        assertThatThrownBy(() -> Cidr.parse("::ffff:0:0/95"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cidr: '::ffff:0:0/95' has prefix length out of range (expected: 96..128 for an IPv4-mapped address)");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "localhost", "example.com", "proxy.internal", "10.0.0.0.example.com", "a", "1.2.3", "1.2.3.4.5",
            "256.0.0.1", "1.2.3.999", "999.1.1.1", "010.0.0.1", "1.2.3.-4", "1..2.3",
            "::g", "1::2::3", "12345::", "[::1", "::1]", "fe80::1%eth0", ".1:2", "1.2.3.4:80",
            "", " ", "/8", "[]",
    })
    void rejectsWhatIsNotAnAddressWithoutResolvingIt(String text) {
        assertThatThrownBy(() -> Cidr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cidr: '" + text + "' is not an IP address or range (expected: e.g. 10.0.0.0/8 or ::1)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8/8"})
    void rejectsBadIpv4PrefixLengths(String text) {
        assertThatThrownBy(() -> Cidr.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cidr: '" + text + "' has prefix length out of range (expected: 0..32)");
    }

    @Test
    void rejectsBadIpv6PrefixLength() {
        assertThatThrownBy(() -> Cidr.parse("::/129"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cidr: '::/129' has prefix length out of range (expected: 0..128)");
    }

    @Test
    void literalParsesWithoutLookup() {
        assertThat(Cidr.literal("192.0.2.1")).containsExactly(192, 0, 2, 1);
        assertThat(Cidr.literal("0.0.0.0")).containsExactly(0, 0, 0, 0);
        assertThat(Cidr.literal("[2001:db8::1]")).hasSize(16);
        assertThat(Cidr.literal("www.example.com")).isNull();
        assertThat(Cidr.literal("300.1.1.1")).isNull();
    }

    @Test
    void trustedProxies() {
        TrustedProxies none = TrustedProxies.of(List.of());
        assertThat(none).isSameAs(TrustedProxies.none());
        assertThat(none.trusts(ip("10.0.0.1"))).isFalse();

        TrustedProxies t = TrustedProxies.of(List.of("10.0.0.0/8", "2001:db8::/32"));
        assertThat(t.isEmpty()).isFalse();
        assertThat(t.trusts(ip("10.9.9.9"))).isTrue();
        assertThat(t.trusts(ip("2001:db8::5"))).isTrue();
        assertThat(t.trusts(ip("192.168.0.1"))).isFalse();
        assertThat(t.trusts((InetAddress) null)).isFalse();
        assertThat(t.trusts((InetSocketAddress) null)).isFalse();
        assertThat(t.trusts(new InetSocketAddress(ip("10.1.1.1"), 1234))).isTrue();
        assertThat(t.toString()).isEqualTo("[10.0.0.0/8, 2001:db8::/32]");
        assertThatThrownBy(() -> TrustedProxies.of(List.of("gateway.local")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cidr: 'gateway.local' is not an IP address or range (expected: e.g. 10.0.0.0/8 or ::1)");
    }
}
