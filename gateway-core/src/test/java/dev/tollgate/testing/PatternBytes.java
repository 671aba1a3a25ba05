package dev.tollgate.testing;

import java.io.IOException;
import java.io.InputStream;

/**
 * The repeating byte pattern of {@link TestBackend#patternByte(long)}, as a stream to upload and as a
 * check for what was downloaded. Neither holds {@code length} bytes, so both work for gigabytes.
 */
public final class PatternBytes {

    private PatternBytes() {
    }

    /** A stream of the first {@code length} pattern bytes, generated as read. */
    public static InputStream stream(long length) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                return position < length ? TestBackend.patternByte(position++) & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= length) {
                    return -1;
                }
                int n = (int) Math.min(len, length - position);
                for (int i = 0; i < n; i++) {
                    b[off + i] = TestBackend.patternByte(position + i);
                }
                position += n;
                return n;
            }
        };
    }

    /**
     * Reads the stream to its end, failing at the first byte that is not the pattern's.
     *
     * @return the number of bytes read
     */
    public static long readChecking(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        try (in) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != TestBackend.patternByte(total + i)) {
                        throw new AssertionError("byte " + (total + i) + " differs from the backend's pattern");
                    }
                }
                total += n;
            }
        }
        return total;
    }
}
