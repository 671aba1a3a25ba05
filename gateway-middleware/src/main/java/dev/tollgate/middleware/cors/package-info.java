/**
 * Cross-origin resource sharing by the Fetch standard: the gateway answers preflights itself and adds
 * the CORS response headers for allowed origins, exact or by subdomain pattern, and for no others.
 */
package dev.tollgate.middleware.cors;
