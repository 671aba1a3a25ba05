package dev.tollgate.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address range such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}; a bare address
 * is a range of one. Immutable and thread-safe. IPv4-mapped IPv6 addresses match IPv4 ranges.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * Parses a range. Only literal addresses are accepted; host names are never resolved.
     *
     * @throws IllegalArgumentException if the text is not an address or range
     */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        byte[] bytes = literal(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("cidr: '" + text + "' is not an IP address or range (expected: e.g. 10.0.0.0/8 or ::1)");
        }
        // the JDK turns ::ffff:a.b.c.d into a 4-byte address, and presents IPv4 peers that way too
        boolean mapped = bytes.length == 4 && addr.indexOf(':') >= 0;
        int max = mapped ? 128 : bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < (mapped ? 96 : 0) || prefix > max) {
                throw new IllegalArgumentException("cidr: '" + text + "' has prefix length out of range (expected: "
                        + (mapped ? "96..128 for an IPv4-mapped address" : "0.." + max) + ")");
            }
        }
        if (mapped) {
            prefix -= 96;
            max = 32;
        }
        byte[] net = bytes.clone();
        for (int bit = prefix; bit < max; bit++) {
            net[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
        }
        return new Cidr(net, prefix, t);
    }

    /** Whether the address lies in the range. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
            a = java.util.Arrays.copyOfRange(a, 12, 16);
        }
        if (a.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (a[full] & mask) == (network[full] & mask);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
    }

    /** Parses an IP literal without any DNS lookup; null if it is not one. */
    public static byte[] literal(String addr) {
        String a = addr.startsWith("[") && addr.endsWith("]") ? addr.substring(1, addr.length() - 1) : addr;
        if (a.isEmpty()) {
            return null;
        }
        if (a.indexOf(':') < 0) {
            return ipv4(a);
        }
        if (!a.matches("[0-9A-Fa-f:.]+")) {
            return null;
        }
        try {
            // in brackets InetAddress takes it as an IPv6 literal and fails rather than asking DNS
            return InetAddress.getByName("[" + a + "]").getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /**
     * Parses an IP literal (IPv4, IPv6, or IPv6 in brackets) into an address without any DNS lookup;
     * null if it is not one.
     */
    public static InetAddress parseAddress(String addr) {
        byte[] bytes = literal(addr);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    // parsed here, not by InetAddress: it sends what is not a valid dotted quad (999.1.1.1) to DNS
    private static byte[] ipv4(String a) {
        if (!a.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return null;
        }
        String[] parts = a.split("\\.");
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            int v = Integer.parseInt(p);
            // a leading zero reads as octal to inet_aton and as decimal to the JDK: refuse the ambiguity
            if (v > 255 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    @Override
    public String toString() {
        return text;
    }
}
