/**
 * TLS internals: PEM parsing, key material loading and checking, the reloading key manager and its
 * file watcher, and the SSL contexts the listeners and upstream connections use.
 */
package dev.tollgate.tls.internal;
