package dev.tollgate.tls;

import dev.tollgate.tls.internal.KeyMaterial;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS for the gateway's listener: its certificate and key (PEM files or a PKCS#12 keystore), the
 * protocols, and whether HTTP/2 is offered through ALPN. Immutable and thread-safe; start with
 * {@link #pem(Path, Path)} or {@link #pkcs12(Path, char[])} and hand it to
 * {@code Gateway.builder().tls(...)}.
 *
 * <p>Reload: the files are checked every {@link #reloadInterval()} (default 10 s) off the IO
 * threads; when their content changed, new handshakes present the new certificate while open
 * connections keep theirs. A replacement that cannot be used (unreadable, malformed, a key that does
 * not match) is logged as an error and the certificate in use stays.
 */
public final class Tls {

    /** The protocols enabled by default, newest first. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private static final List<String> KNOWN_PROTOCOLS = DEFAULT_PROTOCOLS;

    private final Path certificateFile;
    private final Path privateKeyFile;
    private final Path keyStoreFile;
    private final char[] keyStorePassword;
    private final List<String> protocols;
    private final List<String> cipherSuites;
    private final boolean http2;
    private final Duration reloadInterval;

    private Tls(Builder b) {
        this.certificateFile = b.certificateFile;
        this.privateKeyFile = b.privateKeyFile;
        this.keyStoreFile = b.keyStoreFile;
        this.keyStorePassword = b.keyStorePassword == null ? null : b.keyStorePassword.clone();
        this.protocols = b.protocols;
        this.cipherSuites = b.cipherSuites;
        this.http2 = b.http2;
        this.reloadInterval = b.reloadInterval;
    }

    /**
     * TLS from PEM files.
     *
     * @param certificateFile the certificate, optionally followed by its intermediates (leaf first)
     * @param privateKeyFile the unencrypted private key: PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA or EC),
     *                       PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY})
     */
    public static Builder pem(Path certificateFile, Path privateKeyFile) {
        Builder b = new Builder();
        b.certificateFile = Objects.requireNonNull(certificateFile, "certificateFile");
        b.privateKeyFile = Objects.requireNonNull(privateKeyFile, "privateKeyFile");
        return b;
    }

    /**
     * TLS from a PKCS#12 keystore holding one private key entry (the first is used) and its chain.
     *
     * @param password the keystore password (also the key's); copied
     */
    public static Builder pkcs12(Path keyStoreFile, char[] password) {
        Builder b = new Builder();
        b.keyStoreFile = Objects.requireNonNull(keyStoreFile, "keyStoreFile");
        b.keyStorePassword = Objects.requireNonNull(password, "password").clone();
        return b;
    }

    /** The PEM certificate file, when configured with {@link #pem(Path, Path)}. */
    public Optional<Path> certificateFile() {
        return Optional.ofNullable(certificateFile);
    }

    /** The PEM private key file, when configured with {@link #pem(Path, Path)}. */
    public Optional<Path> privateKeyFile() {
        return Optional.ofNullable(privateKeyFile);
    }

    /** The PKCS#12 keystore, when configured with {@link #pkcs12(Path, char[])}. */
    public Optional<Path> keyStoreFile() {
        return Optional.ofNullable(keyStoreFile);
    }

    /** A copy of the keystore password; empty for PEM. */
    public char[] keyStorePassword() {
        return keyStorePassword == null ? new char[0] : keyStorePassword.clone();
    }

    /** Enabled protocols. Default {@link #DEFAULT_PROTOCOLS}. */
    public List<String> protocols() {
        return protocols;
    }

    /** Enabled cipher suites; empty means the JDK's defaults for the protocols. Default empty. */
    public List<String> cipherSuites() {
        return cipherSuites;
    }

    /** Whether HTTP/2 is offered through ALPN (HTTP/1.1 stays available). Default true. */
    public boolean http2() {
        return http2;
    }

    /** How often the files are checked for a new certificate; zero turns reloading off. Default 10 s. */
    public Duration reloadInterval() {
        return reloadInterval;
    }

    @Override
    public String toString() {
        return "Tls[" + (keyStoreFile != null ? "pkcs12 " + keyStoreFile : "pem " + certificateFile + " " + privateKeyFile)
                + " " + protocols + (http2 ? " h2" : "") + "]";
    }

    /** Builds {@link Tls}. Not thread-safe. */
    public static final class Builder {
        private Path certificateFile;
        private Path privateKeyFile;
        private Path keyStoreFile;
        private char[] keyStorePassword;
        private List<String> protocols = DEFAULT_PROTOCOLS;
        private List<String> cipherSuites = List.of();
        private boolean http2 = true;
        private Duration reloadInterval = Duration.ofSeconds(10);

        private Builder() {
        }

        /**
         * The enabled protocols, from {@code TLSv1.3} and {@code TLSv1.2}. Default both.
         *
         * @throws IllegalArgumentException for an empty list or another protocol
         */
        public Builder protocols(String... protocols) {
            this.protocols = checkProtocols(List.of(protocols));
            return this;
        }

        /**
         * The enabled cipher suites (JSSE names), in preference order. Default: the JDK's.
         *
         * @throws IllegalArgumentException for an empty list
         */
        public Builder cipherSuites(String... suites) {
            if (suites.length == 0) {
                throw new IllegalArgumentException("tls.cipherSuites: [] (expected: at least one suite, or leave the default)");
            }
            this.cipherSuites = List.of(suites);
            return this;
        }

        /** Whether HTTP/2 is offered through ALPN. Default true. */
        public Builder http2(boolean http2) {
            this.http2 = http2;
            return this;
        }

        /**
         * How often to check the files for a new certificate; {@link Duration#ZERO} turns reloading off.
         * Default 10 s.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder reloadInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("tls.reloadInterval: " + interval + " (expected: >= 0)");
            }
            this.reloadInterval = interval;
            return this;
        }

        /**
         * Reads the certificate and key once to check them, and builds.
         *
         * @throws IllegalArgumentException naming the file that is missing, unreadable or malformed, a
         *                                  wrong keystore password, a key that does not match the
         *                                  certificate, or a cipher suite the JDK does not know
         */
        public Tls build() {
            Tls tls = new Tls(this);
            KeyMaterial.loader(tls).load();
            KeyMaterial.checkCipherSuites("tls.cipherSuites", cipherSuites);
            return tls;
        }

        static List<String> checkProtocols(List<String> protocols) {
            if (protocols.isEmpty()) {
                throw new IllegalArgumentException("tls.protocols: [] (expected: TLSv1.3 and/or TLSv1.2)");
            }
            for (String p : protocols) {
                if (!KNOWN_PROTOCOLS.contains(p)) {
                    throw new IllegalArgumentException("tls.protocols: '" + p + "' (expected: TLSv1.3 and/or TLSv1.2)");
                }
            }
            return List.copyOf(protocols);
        }
    }
}
