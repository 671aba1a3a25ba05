/**
 * Logs of the gateway: the access log, slow-request log and error summaries (all fed by the one
 * event model), request-ID and trace-ID correlation in the MDC, and shipping logs to an HTTP ingest.
 */
package dev.tollgate.middleware.logging;
