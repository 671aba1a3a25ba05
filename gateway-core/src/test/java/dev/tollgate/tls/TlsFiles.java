package dev.tollgate.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The test certificates under {@code src/test/resources/tls} (see its {@code generate.sh}), and
 * JDK-only helpers to trust them. Nothing here uses the gateway's own TLS code.
 */
final class TlsFiles {

    private TlsFiles() {
    }

    static Path file(String name) {
        URL url = TlsFiles.class.getResource("/tls/" + name);
        if (url == null) {
            throw new IllegalArgumentException("no test file tls/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies test files into {@code dir} under the given names (pairs: source, target). */
    static void copy(Path dir, String... pairs) throws IOException {
        for (int i = 0; i < pairs.length; i += 2) {
            Files.copy(file(pairs[i]), dir.resolve(pairs[i + 1]), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A client context that trusts only the given CA file (PEM). */
    static SSLContext trusting(String caFile) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (InputStream in = Files.newInputStream(file(caFile))) {
            Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
            store.setCertificateEntry("ca", ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    /** Completes a fresh handshake with a server and returns the certificate it presented. */
    static X509Certificate presented(SSLContext client, int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    static String commonName(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName().replaceFirst("^CN=", "");
    }
}
