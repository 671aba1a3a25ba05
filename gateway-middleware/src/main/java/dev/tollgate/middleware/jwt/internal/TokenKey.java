package dev.tollgate.middleware.jwt.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The key of a token in a cache: its SHA-256, so caches hold fixed-size keys and never the tokens
 * themselves (a heap dump does not leak credentials). Any thread.
 */
public record TokenKey(long a, long b, long c, long d) {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    });

    /** The key of {@code token} (ASCII, as every pre-checked token is). */
    public static TokenKey of(String token) {
        MessageDigest md = SHA256.get();
        byte[] digest = md.digest(token.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer bb = ByteBuffer.wrap(digest);
        return new TokenKey(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
    }

    @Override
    public String toString() {
        return "TokenKey[" + Long.toHexString(a) + "...]";
    }
}
