/**
 * Runnable examples of embedding Tollgate and of custom middleware, the standalone runner and the
 * demo backend.
 */
package dev.tollgate.examples;
