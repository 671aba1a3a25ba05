package dev.tollgate.tls.internal;

import dev.tollgate.tls.UpstreamTls;
import io.undertow.UndertowOptions;
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
    // the gateway's connection options plus this upstream's, made once: every pool passes the same base
    private volatile OptionMap[] options;

    /** @param spec the upstream's TLS, or null for the JDK's default trust */
    public ClientSsl(UpstreamTls spec) {
        this.spec = spec;
    }

    /** The options for a connection to an {@code https} endpoint: {@code base}, plus HTTP/2 when the upstream asks for it. */
    public OptionMap options(OptionMap base) {
        if (spec == null || !spec.http2()) {
            return base;
        }
        OptionMap[] o = options;
        if (o == null || o[0] != base) {
            o = new OptionMap[]{base, OptionMap.builder().addAll(base).set(UndertowOptions.ENABLE_HTTP2, true).getMap()};
            options = o;
        }
        return o[1];
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
