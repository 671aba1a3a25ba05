/**
 * The middleware SPI: a middleware wraps the next Undertow {@code HttpHandler} once, when the gateway
 * is built, so a request pays one call per middleware and no list is walked per request.
 */
package dev.tollgate.middleware;
