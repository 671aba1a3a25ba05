/**
 * Implementation of the bearer-token middleware: token pre-checks and challenges, the key-set cache
 * and its fetcher, verification, the caches of verified tokens and the introspection client.
 */
package dev.tollgate.middleware.jwt.internal;
