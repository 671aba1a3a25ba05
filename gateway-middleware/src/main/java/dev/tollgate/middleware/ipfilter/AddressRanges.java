package dev.tollgate.middleware.ipfilter;

import dev.tollgate.net.Cidr;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A set of address ranges for fast membership tests: each CIDR becomes a [first, last] interval,
 * overlapping and adjacent intervals are merged, and a lookup is a binary search. IPv4 (and
 * IPv4-mapped IPv6 addresses) use 32-bit values; IPv6 uses 128-bit values as two unsigned longs.
 * Immutable and thread-safe.
 */
final class AddressRanges {

    private static final AddressRanges EMPTY = new AddressRanges(new long[0], new long[0], new long[0][], new long[0][]);

    private final long[] v4First;
    private final long[] v4Last;
    // {hi, lo} pairs
    private final long[][] v6First;
    private final long[][] v6Last;

    private AddressRanges(long[] v4First, long[] v4Last, long[][] v6First, long[][] v6Last) {
        this.v4First = v4First;
        this.v4Last = v4Last;
        this.v6First = v6First;
        this.v6Last = v6Last;
    }

    /** @throws IllegalArgumentException for a range that {@link Cidr#parse} refuses */
    static AddressRanges of(Collection<String> cidrs) {
        if (cidrs.isEmpty()) {
            return EMPTY;
        }
        List<long[]> v4 = new ArrayList<>();
        List<long[]> v6 = new ArrayList<>();
        for (String text : cidrs) {
            Cidr.parse(text); // the shared validation and its message
            String t = text.trim();
            int slash = t.indexOf('/');
            String addr = slash < 0 ? t : t.substring(0, slash);
            byte[] bytes = Cidr.literal(addr);
            boolean mapped = bytes.length == 4 && addr.indexOf(':') >= 0;
            int prefix = slash < 0 ? (mapped ? 128 : bytes.length * 8) : Integer.parseInt(t.substring(slash + 1));
            if (mapped) {
                prefix -= 96;
            }
            if (bytes.length == 4) {
                long value = toLong(bytes, 0, 4);
                long hostBits = prefix == 32 ? 0 : (1L << (32 - prefix)) - 1;
                v4.add(new long[] {value & ~hostBits, value | hostBits});
            } else {
                long hi = toLong(bytes, 0, 8);
                long lo = toLong(bytes, 8, 8);
                long hiHost = prefix >= 64 ? 0 : -1L >>> prefix;
                long loHost = prefix <= 64 ? -1L : prefix == 128 ? 0 : -1L >>> (prefix - 64);
                v6.add(new long[] {hi & ~hiHost, lo & ~loHost, hi | hiHost, lo | loHost});
            }
        }
        v4.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> m4 = new ArrayList<>();
        for (long[] r : v4) {
            long[] last = m4.isEmpty() ? null : m4.get(m4.size() - 1);
            if (last != null && r[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                m4.add(r);
            }
        }
        v6.sort((a, b) -> compare(a[0], a[1], b[0], b[1]));
        List<long[]> m6 = new ArrayList<>();
        for (long[] r : v6) {
            long[] last = m6.isEmpty() ? null : m6.get(m6.size() - 1);
            if (last != null && adjoins(last[2], last[3], r[0], r[1])) {
                if (compare(r[2], r[3], last[2], last[3]) > 0) {
                    last[2] = r[2];
                    last[3] = r[3];
                }
            } else {
                m6.add(r);
            }
        }
        return new AddressRanges(
                m4.stream().mapToLong(r -> r[0]).toArray(), m4.stream().mapToLong(r -> r[1]).toArray(),
                m6.stream().map(r -> new long[] {r[0], r[1]}).toArray(long[][]::new),
                m6.stream().map(r -> new long[] {r[2], r[3]}).toArray(long[][]::new));
    }

    boolean isEmpty() {
        return v4First.length == 0 && v6First.length == 0;
    }

    /** How many disjoint intervals remain after merging. */
    int intervals() {
        return v4First.length + v6First.length;
    }

    boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length == 16 && isV4Mapped(a)) {
            a = Arrays.copyOfRange(a, 12, 16);
        }
        if (a.length == 4) {
            long x = toLong(a, 0, 4);
            int i = Arrays.binarySearch(v4First, x);
            int at = i >= 0 ? i : -i - 2;
            return at >= 0 && x <= v4Last[at];
        }
        long hi = toLong(a, 0, 8);
        long lo = toLong(a, 8, 8);
        // the last interval starting at or before the address
        int low = 0;
        int high = v6First.length - 1;
        int at = -1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (compare(v6First[mid][0], v6First[mid][1], hi, lo) <= 0) {
                at = mid;
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return at >= 0 && compare(hi, lo, v6Last[at][0], v6Last[at][1]) <= 0;
    }

    // whether an interval starting at (hi, lo) overlaps or directly follows one ending at (lastHi, lastLo)
    private static boolean adjoins(long lastHi, long lastLo, long hi, long lo) {
        if (compare(hi, lo, lastHi, lastLo) <= 0) {
            return true;
        }
        long nextLo = lastLo + 1;
        long nextHi = nextLo == 0 ? lastHi + 1 : lastHi;
        return nextHi == hi && nextLo == lo && !(lastHi == -1L && lastLo == -1L);
    }

    private static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    private static long toLong(byte[] b, int from, int n) {
        long v = 0;
        for (int i = from; i < from + n; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
    }
}
