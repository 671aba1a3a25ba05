/**
 * Who made a request, as established by an authentication middleware, in a form that other
 * middleware (rate limiting, claim forwarding, logging) read without depending on how it was proven.
 */
package dev.tollgate.auth;
