/**
 * Implementation of the logging package: per-request timing state, body-capturing conduits, the
 * W3C traceparent parser and the error tally. Not API.
 */
package dev.tollgate.middleware.logging.internal;
