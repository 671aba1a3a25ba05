package dev.tollgate.tls.internal;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * A key manager whose certificate can be replaced while the server runs: each handshake asks for the
 * current one. Every generation has its own alias, and the one before the current stays known, so a
 * handshake that chose an alias just before a swap still gets a key and chain that belong together.
 * Thread-safe: handshakes run on IO threads (or delegated-task threads), {@link #update} on the reloader's.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {

    private record Generation(String alias, X509KeyManager manager, KeyMaterial material) {
    }

    private volatile Generation current;
    private volatile Generation previous;
    private int generations; // guarded by this

    public ReloadingKeyManager(KeyMaterial initial) {
        update(initial);
    }

    /** Makes {@code material} the one new handshakes present. */
    public synchronized void update(KeyMaterial material) {
        String alias = "tollgate-" + generations++;
        Generation next = new Generation(alias, material.keyManager(alias), material);
        previous = current;
        current = next;
    }

    /** The material new handshakes present. */
    public KeyMaterial current() {
        return current.material;
    }

    private X509KeyManager byAlias(String alias) {
        Generation c = current;
        if (c.alias.equals(alias)) {
            return c.manager;
        }
        Generation p = previous;
        return p != null && p.alias.equals(alias) ? p.manager : c.manager;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current.manager.chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current.manager.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return current.manager.chooseClientAlias(keyTypes, issuers, null);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return current.manager.chooseClientAlias(keyTypes, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return current.manager.getServerAliases(keyType, issuers);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return current.manager.getClientAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return byAlias(alias).getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return byAlias(alias).getPrivateKey(alias);
    }
}
