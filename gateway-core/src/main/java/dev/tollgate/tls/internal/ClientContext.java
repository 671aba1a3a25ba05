package dev.tollgate.tls.internal;

import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * An {@link SSLContext} whose engines come configured: the enabled protocols, and optionally a check
 * of the server's certificate against the host they connect to (RFC 2818/6125, as HTTPS does).
 * Undertow's client creates engines with the peer's host and port but leaves endpoint identification
 * off, so the JDK's trust manager would check only the chain; and it takes protocols only from the
 * per-connection options, which the gateway shares between upstreams. Thread-safe like the context
 * it wraps.
 */
public final class ClientContext extends SSLContext {

    /**
     * @param verifyHostname whether the certificate must name the host connected to
     * @param protocols the protocols to enable
     */
    public ClientContext(SSLContext delegate, boolean verifyHostname, List<String> protocols) {
        super(new Spi(delegate, verifyHostname, protocols.toArray(new String[0])), delegate.getProvider(), delegate.getProtocol());
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext delegate;
        private final boolean verifyHostname;
        private final String[] protocols;

        Spi(SSLContext delegate, boolean verifyHostname, String[] protocols) {
            this.delegate = delegate;
            this.verifyHostname = verifyHostname;
            this.protocols = protocols;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            delegate.init(km, tm, sr);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return delegate.getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return delegate.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return configure(delegate.createSSLEngine());
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return configure(delegate.createSSLEngine(host, port));
        }

        private SSLEngine configure(SSLEngine engine) {
            SSLParameters params = engine.getSSLParameters();
            if (verifyHostname) {
                params.setEndpointIdentificationAlgorithm("HTTPS");
            }
            params.setProtocols(protocols);
            engine.setSSLParameters(params);
            return engine;
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return delegate.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return delegate.getClientSessionContext();
        }
    }
}
