/**
 * Micrometer metrics from the gateway's events ({@link dev.tollgate.middleware.metrics.GatewayMetrics})
 * and a Prometheus scrape endpoint for the admin port ({@link dev.tollgate.middleware.metrics.PrometheusScrape}).
 */
package dev.tollgate.middleware.metrics;
