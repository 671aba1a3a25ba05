/**
 * Error responses the gateway itself makes: RFC 9457 {@code application/problem+json} bodies with a
 * stable {@code type} and short {@code code}, rendered by one responder.
 */
package dev.tollgate.error;
