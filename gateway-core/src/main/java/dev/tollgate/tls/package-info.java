/**
 * TLS for the gateway's listener ({@link dev.tollgate.tls.Tls}: PEM or PKCS#12, HTTP/2 by ALPN,
 * certificates reloaded from disk) and for its upstream connections ({@link dev.tollgate.tls.UpstreamTls}:
 * custom trust, client certificates).
 */
package dev.tollgate.tls;
