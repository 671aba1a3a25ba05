/**
 * Routes and routing: path templates compiled into a trie at build time, then per-route predicates
 * (method, host, header, query, cookie, API version), priority, strip-prefix and rewrite.
 */
package dev.tollgate.route;
