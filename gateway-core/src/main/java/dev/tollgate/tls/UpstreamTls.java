package dev.tollgate.tls;

import dev.tollgate.tls.internal.ClientContext;
import dev.tollgate.tls.internal.KeyMaterial;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for the connections to an upstream's {@code https://} endpoints: which certificates are trusted,
 * an optional client certificate (mutual TLS), hostname verification and protocols. Immutable and
 * thread-safe; hand it to {@code Upstream.builder(name).tls(...)}. An {@code https} endpoint of an
 * upstream without one is trusted by the JDK's default trust store, with hostname verification.
 *
 * <p>The server name (SNI) sent is the endpoint's host when it is a name rather than an address.
 */
public final class UpstreamTls {

    private final SSLContext sslContext;
    private final List<String> protocols;
    private final boolean hostnameVerification;
    private final boolean http2;
    private final String description;

    private UpstreamTls(Builder b, SSLContext sslContext) {
        this.sslContext = sslContext;
        this.protocols = b.protocols;
        this.hostnameVerification = b.hostnameVerification;
        this.http2 = b.http2;
        this.description = "UpstreamTls[trust " + (b.trustFile == null ? "system" : b.trustFile)
                + (b.clientKeys != null ? ", client certificate " + b.clientKeys : "")
                + (b.hostnameVerification ? "" : ", no hostname verification") + (b.http2 ? ", h2" : "") + "]";
    }

    /** Trusts what the JDK's default trust store trusts. */
    public static Builder systemTrust() {
        return new Builder(null, null);
    }

    /**
     * Trusts only the certificates (usually CAs) in a PEM file.
     *
     * @param pemFile one or more {@code BEGIN CERTIFICATE} blocks
     */
    public static Builder trustStore(Path pemFile) {
        return new Builder(Objects.requireNonNull(pemFile, "pemFile"), null);
    }

    /** Trusts only the certificates in a PKCS#12 trust store. */
    public static Builder trustStore(Path pkcs12File, char[] password) {
        return new Builder(Objects.requireNonNull(pkcs12File, "pkcs12File"), Objects.requireNonNull(password, "password").clone());
    }

    /** The context every connection to the upstream's {@code https} endpoints uses. */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** Enabled protocols. Default {@link Tls#DEFAULT_PROTOCOLS}. */
    public List<String> protocols() {
        return protocols;
    }

    /** Whether the endpoint's certificate must name its host. Default true. */
    public boolean hostnameVerification() {
        return hostnameVerification;
    }

    /** Whether HTTP/2 is offered to the upstream through ALPN (it may still answer HTTP/1.1). Default false. */
    public boolean http2() {
        return http2;
    }

    @Override
    public String toString() {
        return description;
    }

    /** Builds {@link UpstreamTls}. Not thread-safe. */
    public static final class Builder {
        private final Path trustFile;
        private final char[] trustPassword;
        private KeyMaterial.Loader clientKeys;
        private boolean hostnameVerification = true;
        private boolean http2;
        private List<String> protocols = Tls.DEFAULT_PROTOCOLS;

        private Builder(Path trustFile, char[] trustPassword) {
            this.trustFile = trustFile;
            this.trustPassword = trustPassword;
        }

        /** Presents this certificate (PEM, leaf first) and key (PEM, unencrypted) when the upstream asks for one. */
        public Builder clientCertificate(Path certificateFile, Path privateKeyFile) {
            this.clientKeys = KeyMaterial.pem("upstreamTls.clientCertificate", Objects.requireNonNull(certificateFile, "certificateFile"),
                    "upstreamTls.clientKey", Objects.requireNonNull(privateKeyFile, "privateKeyFile"));
            return this;
        }

        /** Presents the first key entry of a PKCS#12 keystore when the upstream asks for a client certificate. */
        public Builder clientKeyStore(Path pkcs12File, char[] password) {
            this.clientKeys = KeyMaterial.pkcs12("upstreamTls.clientKeyStore", Objects.requireNonNull(pkcs12File, "pkcs12File"),
                    Objects.requireNonNull(password, "password"));
            return this;
        }

        /**
         * Whether the endpoint's certificate must match its host name or address. Default true; turn it
         * off only for endpoints addressed by a name their certificate does not carry.
         */
        public Builder hostnameVerification(boolean verify) {
            this.hostnameVerification = verify;
            return this;
        }

        /**
         * Whether to offer HTTP/2 to the upstream through ALPN; an upstream that does not take it is
         * spoken to in HTTP/1.1. Each pooled connection carries one request at a time. Default false.
         */
        public Builder http2(boolean http2) {
            this.http2 = http2;
            return this;
        }

        /** The enabled protocols, from {@code TLSv1.3} and {@code TLSv1.2}. Default both. */
        public Builder protocols(String... protocols) {
            this.protocols = Tls.Builder.checkProtocols(List.of(protocols));
            return this;
        }

        /**
         * Reads the files and builds the SSL context.
         *
         * @throws IllegalArgumentException naming a file that is missing, unreadable or malformed, a wrong
         *                                  password, or a client key that does not match its certificate
         */
        public UpstreamTls build() {
            try {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                if (trustFile == null) {
                    tmf.init((KeyStore) null);
                } else {
                    KeyStore trusted = KeyStore.getInstance("PKCS12");
                    trusted.load(null, null);
                    int i = 0;
                    for (X509Certificate c : KeyMaterial.trustedCertificates("upstreamTls.trustStore", trustFile, trustPassword)) {
                        trusted.setCertificateEntry("trusted-" + i++, c);
                    }
                    tmf.init(trusted);
                }
                KeyManager[] keyManagers = clientKeys == null ? null
                        : new KeyManager[]{KeyMaterial.keyManager(clientKeys.load(), "client")};
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(keyManagers, ClientContext.trustManagers(tmf.getTrustManagers(), hostnameVerification), null);
                return new UpstreamTls(this, new ClientContext(context, protocols));
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("upstreamTls: could not set up TLS: " + e.getMessage(), e);
            }
        }
    }
}
