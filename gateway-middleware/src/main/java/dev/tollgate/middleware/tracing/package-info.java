/**
 * OpenTelemetry tracing from the gateway's events: a server span per request, a client span per
 * upstream attempt, W3C context in and out ({@link dev.tollgate.middleware.tracing.GatewayTracing}).
 */
package dev.tollgate.middleware.tracing;
