package dev.tollgate.tls;

import dev.tollgate.tls.internal.Pem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a bad TLS configuration is told, and which key encodings are read. */
class TlsConfigTest {

    private static Path f(String name) {
        return TlsFiles.file(name);
    }

    @Test
    void aMissingCertificateFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.pem");
        assertThatThrownBy(() -> Tls.pem(missing, f("server.key")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tls.certificateFile: " + missing + " does not exist");
    }

    @Test
    void aMissingKeyFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.key");
        assertThatThrownBy(() -> Tls.pem(f("server.pem"), missing).build())
                .hasMessage("tls.privateKeyFile: " + missing + " does not exist");
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateIsRefused() {
        assertThatThrownBy(() -> Tls.pem(f("server.pem"), f("server2.key")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the private key in " + f("server2.key") + " does not match the certificate in " + f("server.pem")
                        + " (expected: the key the certificate was issued for)");
    }

    @Test
    void anEcKeyForAnRsaCertificateIsRefused() {
        assertThatThrownBy(() -> Tls.pem(f("server.pem"), f("server-ec.key")).build())
                .hasMessageContaining("does not match the certificate");
    }

    @Test
    void aWrongKeystorePasswordIsSaidSo() {
        assertThatThrownBy(() -> Tls.pkcs12(f("server.p12"), "wrong".toCharArray()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tls.keyStoreFile " + f("server.p12") + ": wrong password for the keystore");
    }

    @Test
    void aPemFileIsNotAKeystore() {
        assertThatThrownBy(() -> Tls.pkcs12(f("server.pem"), "changeit".toCharArray()).build())
                .hasMessageStartingWith("tls.keyStoreFile " + f("server.pem") + ": not a readable PKCS#12 keystore");
    }

    @Test
    void certificateAndKeySwappedAreExplained() {
        assertThatThrownBy(() -> Tls.pem(f("server.key"), f("server.pem")).build())
                .hasMessage("tls.certificateFile " + f("server.key")
                        + ": no certificate found (expected: PEM with -----BEGIN CERTIFICATE-----)");
    }

    @Test
    void anEncryptedKeySaysHowToDecryptIt(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("enc.key");
        Files.writeString(key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Tls.pem(f("server.pem"), key).build())
                .hasMessage("tls.privateKeyFile " + key + ": the private key is encrypted (expected: an unencrypted key; "
                        + "decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
    }

    @Test
    void garbageIsNotAKey(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("bad.key");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Tls.pem(f("server.pem"), key).build())
                .hasMessageStartingWith("tls.privateKeyFile " + key + ": the private key is malformed or not RSA or EC");
    }

    @Test
    void pkcs1AndSec1KeysReadAsTheSameKeysAsTheirPkcs8Forms() throws Exception {
        PrivateKey pkcs8 = Pem.privateKey(Files.readAllBytes(f("server.key")), "k");
        PrivateKey pkcs1 = Pem.privateKey(Files.readAllBytes(f("server-pkcs1.key")), "k");
        assertThat(pkcs1).isInstanceOf(RSAPrivateCrtKey.class);
        assertThat(((RSAPrivateCrtKey) pkcs1).getModulus()).isEqualTo(((RSAPrivateCrtKey) pkcs8).getModulus());
        assertThat(((RSAPrivateCrtKey) pkcs1).getPrivateExponent()).isEqualTo(((RSAPrivateCrtKey) pkcs8).getPrivateExponent());

        PrivateKey ec8 = Pem.privateKey(Files.readAllBytes(f("server-ec.key")), "k");
        PrivateKey sec1 = Pem.privateKey(Files.readAllBytes(f("server-ec-sec1.key")), "k");
        assertThat(sec1).isInstanceOf(ECPrivateKey.class);
        assertThat(((ECPrivateKey) sec1).getS()).isEqualTo(((ECPrivateKey) ec8).getS());
        // and each is accepted with its certificate
        Tls.pem(f("server.pem"), f("server-pkcs1.key")).build();
        Tls.pem(f("server-ec.pem"), f("server-ec-sec1.key")).build();
    }

    @Test
    void builderValuesAreChecked() {
        assertThatThrownBy(() -> serverTls().protocols("TLSv1.1"))
                .hasMessage("tls.protocols: 'TLSv1.1' (expected: TLSv1.3 and/or TLSv1.2)");
        assertThatThrownBy(() -> serverTls().protocols())
                .hasMessage("tls.protocols: [] (expected: TLSv1.3 and/or TLSv1.2)");
        assertThatThrownBy(() -> serverTls().reloadInterval(Duration.ofSeconds(-1)))
                .hasMessage("tls.reloadInterval: PT-1S (expected: >= 0)");
        assertThatThrownBy(() -> serverTls().cipherSuites("TLS_NOT_A_SUITE").build())
                .hasMessage("tls.cipherSuites: 'TLS_NOT_A_SUITE' is not a cipher suite this JDK supports");
        Tls tls = serverTls().build();
        assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(tls.http2()).isTrue();
        assertThat(tls.reloadInterval()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void upstreamTlsNamesItsFiles(@TempDir Path dir) {
        Path missing = dir.resolve("ca.pem");
        assertThatThrownBy(() -> UpstreamTls.trustStore(missing).build())
                .hasMessage("upstreamTls.trustStore: " + missing + " does not exist");
        assertThatThrownBy(() -> UpstreamTls.trustStore(f("ca.pem")).clientCertificate(f("client.pem"), f("server.key")).build())
                .hasMessageContaining("does not match the certificate in " + f("client.pem"));
        assertThatThrownBy(() -> UpstreamTls.trustStore(f("server.p12"), "nope".toCharArray()).build())
                .hasMessage("upstreamTls.trustStore " + f("server.p12") + ": wrong password for the keystore");
    }

    private static Tls.Builder serverTls() {
        return Tls.pem(f("server.pem"), f("server.key"));
    }
}
