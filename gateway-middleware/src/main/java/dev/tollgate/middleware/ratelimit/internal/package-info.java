/**
 * Implementation of the rate limiter: the handler, the local and Redis bucket stores and header
 * rendering. Not API.
 */
package dev.tollgate.middleware.ratelimit.internal;
