package dev.tollgate.tls.internal;

import dev.tollgate.tls.Tls;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Sequence;
import org.xnio.Xnio;
import org.xnio.ssl.XnioSsl;

import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

/**
 * The run-time TLS of a listener: the SSL context over a {@link ReloadingKeyManager}, the XNIO
 * wrapper that makes accepted connections TLS ones, the engine options (protocols, suites), and the
 * reloader. Owned by one gateway; {@link #close()} stops the reloader.
 */
public final class ServerTls implements AutoCloseable {

    private final Tls spec;
    private final ReloadingKeyManager keyManager;
    private final XnioSsl ssl;
    private final OptionMap engineOptions;
    private final CertificateReloader reloader;

    private ServerTls(Tls spec) {
        this.spec = spec;
        KeyMaterial.Loader loader = KeyMaterial.loader(spec);
        List<byte[]> contents = loader.read();
        this.keyManager = new ReloadingKeyManager(loader.parse(contents));
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[]{keyManager}, null, null);
            this.ssl = new UndertowXnioSsl(Xnio.getInstance(), OptionMap.create(Options.USE_DIRECT_BUFFERS, true), context);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("tls: could not set up TLS: " + e.getMessage(), e);
        }
        OptionMap.Builder options = OptionMap.builder()
                .set(Options.SSL_ENABLED_PROTOCOLS, Sequence.of(spec.protocols()));
        if (!spec.cipherSuites().isEmpty()) {
            options.set(Options.SSL_ENABLED_CIPHER_SUITES, Sequence.of(spec.cipherSuites()));
        }
        this.engineOptions = options.getMap();
        this.reloader = spec.reloadInterval().isZero() ? null
                : new CertificateReloader(loader, keyManager, spec.reloadInterval(), contents);
    }

    /**
     * Loads the listener's certificate. Reads files: call off the IO threads.
     *
     * @throws IllegalArgumentException if the files cannot be used any more
     */
    public static ServerTls create(Tls spec) {
        return new ServerTls(spec);
    }

    public XnioSsl ssl() {
        return ssl;
    }

    /** Options for the accepting channel: the engine's protocols and cipher suites. */
    public OptionMap engineOptions() {
        return engineOptions;
    }

    public boolean http2() {
        return spec.http2();
    }

    public ReloadingKeyManager keyManager() {
        return keyManager;
    }

    /** The reload interval, or zero when reloading is off. */
    public Duration reloadInterval() {
        return spec.reloadInterval();
    }

    /** Starts watching the files, when reloading is on. */
    public void start() {
        if (reloader != null) {
            reloader.start();
        }
    }

    @Override
    public void close() {
        if (reloader != null) {
            reloader.close();
        }
    }
}
