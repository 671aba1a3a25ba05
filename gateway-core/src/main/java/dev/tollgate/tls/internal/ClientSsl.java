package dev.tollgate.tls.internal;

import dev.tollgate.tls.UpstreamTls;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.ssl.XnioSsl;

/**
 * The TLS an upstream's connections use, made on first need: an upstream with only {@code http}
 * endpoints never loads a trust store. Thread-safe.
 */
public final class ClientSsl {

    private final UpstreamTls spec;
    private volatile XnioSsl ssl;

    /** @param spec the upstream's TLS, or null for the JDK's default trust */
    public ClientSsl(UpstreamTls spec) {
        this.spec = spec;
    }

    /**
     * The XNIO TLS wrapper. The first call may read the JDK's trust store: make it off the IO threads
     * ({@code UpstreamPool} does when an {@code https} endpoint joins).
     */
    public XnioSsl get() {
        XnioSsl s = ssl;
        if (s == null) {
            synchronized (this) {
                s = ssl;
                if (s == null) {
                    UpstreamTls tls = spec != null ? spec : UpstreamTls.systemTrust().build();
                    s = new UndertowXnioSsl(Xnio.getInstance(), OptionMap.create(Options.USE_DIRECT_BUFFERS, true), tls.sslContext());
                    ssl = s;
                }
            }
        }
        return s;
    }
}
