package dev.tollgate.tls;

import dev.tollgate.tls.internal.CertificateReloader;
import dev.tollgate.tls.internal.KeyMaterial;
import dev.tollgate.tls.internal.ReloadingKeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The reloader's decisions, one check at a time: swap on a good change, keep the old on a bad one. */
class CertificateReloaderTest {

    private static void touch(Path file, long offsetMillis) throws Exception {
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + offsetMillis));
    }

    private static String subject(ReloadingKeyManager km) {
        // the material new handshakes get
        return km.current().chain()[0].getSubjectX500Principal().getName();
    }

    private ReloadingKeyManager km;
    private CertificateReloader reloader;

    /** cert.pem and key.pem in {@code dir}, watched by a reloader that only checks when told to. */
    private void watch(Path dir) throws Exception {
        TlsFiles.copy(dir, "server.pem", "cert.pem", "server.key", "key.pem");
        KeyMaterial.Loader loader = KeyMaterial.pem("c", dir.resolve("cert.pem"), "k", dir.resolve("key.pem"));
        km = new ReloadingKeyManager(loader.load());
        reloader = new CertificateReloader(loader, km, Duration.ofHours(1), loader.read());
    }

    @Test
    void keepsTheCurrentCertificateWhenTheReplacementIsBrokenAndTakesTheNextGoodOne(@TempDir Path dir) throws Exception {
        watch(dir);
        String alias = km.chooseEngineServerAlias("RSA", null, null);

        reloader.check();
        assertThat(subject(km)).isEqualTo("CN=server-one");

        // a half-written certificate
        Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n");
        touch(dir.resolve("cert.pem"), 1000);
        reloader.check();
        assertThat(subject(km)).isEqualTo("CN=server-one");
        assertThat(km.getPrivateKey(km.chooseEngineServerAlias("RSA", null, null))).isNotNull();

        // the new certificate with the old key: still unusable
        TlsFiles.copy(dir, "server2.pem", "cert.pem");
        touch(dir.resolve("cert.pem"), 2000);
        reloader.check();
        assertThat(subject(km)).isEqualTo("CN=server-one");

        // and then its key
        TlsFiles.copy(dir, "server2.key", "key.pem");
        touch(dir.resolve("key.pem"), 3000);
        reloader.check();
        assertThat(subject(km)).isEqualTo("CN=server-two");

        // a handshake that picked the old alias just before the swap still gets the old, matching pair
        assertThat(km.getCertificateChain(alias)[0].getSubjectX500Principal().getName()).isEqualTo("CN=server-one");
        String now = km.chooseEngineServerAlias("RSA", null, null);
        assertThat(now).isNotEqualTo(alias);
        assertThat(km.getCertificateChain(now)[0].getSubjectX500Principal().getName()).isEqualTo("CN=server-two");
    }

    @Test
    void aTouchWithoutAChangeOfContentSwapsNothing(@TempDir Path dir) throws Exception {
        watch(dir);
        String alias = km.chooseEngineServerAlias("RSA", null, null);

        touch(dir.resolve("cert.pem"), 1000);
        reloader.check();

        assertThat(km.chooseEngineServerAlias("RSA", null, null)).isEqualTo(alias);
    }
}
