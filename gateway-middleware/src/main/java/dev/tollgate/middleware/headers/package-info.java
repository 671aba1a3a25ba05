/**
 * Security response headers with safe defaults (HSTS over TLS, nosniff, frame denial, referrer policy,
 * optional CSP and Permissions-Policy) and removal of headers that reveal the upstream's software.
 */
package dev.tollgate.middleware.headers;
