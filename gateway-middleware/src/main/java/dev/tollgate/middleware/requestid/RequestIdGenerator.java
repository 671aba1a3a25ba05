package dev.tollgate.middleware.requestid;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generates UUIDv7 strings (RFC 9562): 48 bits of Unix milliseconds, a 12-bit sequence within the
 * millisecond, then 62 random bits. The timestamp and sequence come from one atomic counter that only
 * grows, so IDs of one generator sort (as strings, too: fixed-width lower-case hex) in the order they
 * were made, across threads, without a lock. If more than 4096 IDs are made in one millisecond the
 * counter runs ahead of the clock for a moment rather than repeat or reorder. Thread-safe.
 */
public final class RequestIdGenerator {

    /** Length of every generated ID. */
    public static final int LENGTH = 36;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    // milliseconds << 12 | sequence
    private final AtomicLong clock = new AtomicLong();

    /** A new ID. Any thread; lock-free. */
    public String next() {
        long floor = System.currentTimeMillis() << 12;
        long prev;
        long tick;
        do {
            prev = clock.get();
            tick = Math.max(prev + 1, floor);
        } while (!clock.compareAndSet(prev, tick));
        long random = ThreadLocalRandom.current().nextLong();
        // 48-bit ms | version 7 | 12-bit sequence
        long hi = ((tick >>> 12) << 16) | 0x7000L | (tick & 0xFFFL);
        // variant 10 | 62 random bits
        long lo = (random & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        char[] out = new char[LENGTH];
        hex(out, 0, hi >>> 32, 8);
        out[8] = '-';
        hex(out, 9, hi >>> 16, 4);
        out[13] = '-';
        hex(out, 14, hi, 4);
        out[18] = '-';
        hex(out, 19, lo >>> 48, 4);
        out[23] = '-';
        hex(out, 24, lo, 12);
        return new String(out);
    }

    private static void hex(char[] out, int at, long value, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            out[at + i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
