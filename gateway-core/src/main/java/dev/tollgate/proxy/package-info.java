/**
 * The proxy engine's settings: timeouts, connection pools, forwarding headers and the Host policy.
 * The engine itself lives in {@code proxy.internal}.
 */
package dev.tollgate.proxy;
