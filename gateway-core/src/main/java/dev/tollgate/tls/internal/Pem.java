package dev.tollgate.tls.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads PEM certificates and private keys with the JDK alone. Private keys may be PKCS#8
 * ({@code BEGIN PRIVATE KEY}, RSA or EC), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}); the last two are rewrapped as PKCS#8. Encrypted keys are refused
 * with a message saying how to decrypt them. Every error is an {@link IllegalArgumentException}
 * naming {@code what} (the file). Stateless and thread-safe.
 */
public final class Pem {

    // DER of the AlgorithmIdentifier OIDs a PKCS#8 wrapper needs
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final String CONVERT = "convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8";

    private Pem() {
    }

    /** A PEM block: its label ({@code CERTIFICATE}, {@code PRIVATE KEY}, ...) and decoded content. */
    record Block(String label, byte[] der) {
    }

    /**
     * The certificates in {@code pem}, in file order (leaf first for a chain).
     *
     * @throws IllegalArgumentException if there is none or one is malformed
     */
    public static List<X509Certificate> certificates(byte[] pem, String what) {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("X.509 is not available in this JDK", e);
        }
        for (Block b : blocks(pem, what)) {
            if (!b.label.equals("CERTIFICATE")) {
                continue;
            }
            try {
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der)));
            } catch (CertificateException e) {
                throw new IllegalArgumentException(what + ": a certificate is malformed (" + e.getMessage() + ")", e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(what + ": no certificate found (expected: PEM with -----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /**
     * The one private key in {@code pem}.
     *
     * @throws IllegalArgumentException if there is no key, it is encrypted, or its encoding is not supported
     */
    public static PrivateKey privateKey(byte[] pem, String what) {
        for (Block b : blocks(pem, what)) {
            switch (b.label) {
                case "PRIVATE KEY":
                    return pkcs8(b.der, what);
                case "RSA PRIVATE KEY":
                    return pkcs8(sequence(concat(new byte[]{0x02, 0x01, 0x00}, RSA_ALGORITHM, octetString(b.der))), what);
                case "EC PRIVATE KEY":
                    byte[] curve = sec1Curve(b.der, what);
                    byte[] algorithm = sequence(concat(EC_PUBLIC_KEY_OID, curve));
                    return pkcs8(sequence(concat(new byte[]{0x02, 0x01, 0x00}, algorithm, octetString(b.der))), what);
                case "ENCRYPTED PRIVATE KEY":
                    throw encrypted(what);
                default:
                    if (b.label.endsWith("PRIVATE KEY")) {
                        throw new IllegalArgumentException(what + ": '" + b.label + "' keys are not supported (expected: PKCS#8 "
                                + "RSA or EC; " + CONVERT + ")");
                    }
            }
        }
        throw new IllegalArgumentException(what + ": no private key found (expected: PEM with -----BEGIN PRIVATE KEY-----)");
    }

    private static IllegalArgumentException encrypted(String what) {
        return new IllegalArgumentException(what + ": the private key is encrypted (expected: an unencrypted key; "
                + "decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
    }

    private static PrivateKey pkcs8(byte[] der, String what) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[]{"RSA", "EC", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException(what + ": the private key is malformed or not RSA or EC (" + CONVERT + ")");
    }

    static List<Block> blocks(byte[] pem, String what) {
        String text = new String(pem, StandardCharsets.US_ASCII);
        List<Block> out = new ArrayList<>();
        int at = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN ", at);
            if (begin < 0) {
                return out;
            }
            int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0) {
                throw new IllegalArgumentException(what + ": a PEM header is cut off");
            }
            String label = text.substring(begin + 11, labelEnd);
            String footer = "-----END " + label + "-----";
            int end = text.indexOf(footer, labelEnd);
            if (end < 0) {
                throw new IllegalArgumentException(what + ": '" + label + "' has no END line");
            }
            String body = text.substring(labelEnd + 5, end);
            if (body.contains(":")) {
                // Proc-Type / DEK-Info headers: an OpenSSL-encrypted traditional key
                throw encrypted(what);
            }
            try {
                out.add(new Block(label, Base64.getMimeDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + ": '" + label + "' is not valid base64");
            }
            at = end + footer.length();
        }
    }

    /** The named-curve OID (a whole TLV) in a SEC1 ECPrivateKey's [0] parameters. */
    private static byte[] sec1Curve(byte[] der, String what) {
        int[] seq = header(der, 0, what);
        int at = seq[0];
        int end = seq[0] + seq[1];
        while (at < end) {
            int[] h = header(der, at, what);
            if ((der[at] & 0xff) == 0xa0) {
                int oid = h[0];
                int[] inner = header(der, oid, what);
                return java.util.Arrays.copyOfRange(der, oid, inner[0] + inner[1]);
            }
            at = h[0] + h[1];
        }
        throw new IllegalArgumentException(what + ": the EC key does not name its curve (" + CONVERT + ")");
    }

    /** {content offset, content length} of the DER element at {@code at}. */
    private static int[] header(byte[] der, int at, String what) {
        if (at + 2 > der.length) {
            throw new IllegalArgumentException(what + ": the private key is malformed");
        }
        int len = der[at + 1] & 0xff;
        int off = at + 2;
        if (len > 0x80) {
            int n = len & 0x7f;
            if (n > 3 || off + n > der.length) {
                throw new IllegalArgumentException(what + ": the private key is malformed");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[off++] & 0xff);
            }
        }
        if (off + len > der.length) {
            throw new IllegalArgumentException(what + ": the private key is malformed");
        }
        return new int[]{off, len};
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] octetString(byte[] content) {
        return tlv(0x04, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
