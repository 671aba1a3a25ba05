/**
 * The one event model of the gateway: request and attempt events that metrics, tracing and logs all
 * consume through {@link dev.tollgate.observe.GatewayListener}.
 */
package dev.tollgate.observe;
