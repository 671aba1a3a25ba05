/**
 * The run-time side of the resilience policies: breakers over Failsafe's {@code CircuitBreaker}, the
 * retry budget and the bulkhead gate. Not API.
 */
package dev.tollgate.resilience.internal;
