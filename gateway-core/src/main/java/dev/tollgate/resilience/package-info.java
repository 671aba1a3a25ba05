/**
 * Resilience policies applied by the proxy engine to every attempt: circuit breakers, retries with a
 * budget, fallbacks and bulkheads. Immutable specs built with builders; configured per upstream and per route.
 */
package dev.tollgate.resilience;
