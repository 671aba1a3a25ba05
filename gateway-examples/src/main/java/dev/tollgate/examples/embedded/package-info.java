/**
 * Embedding Tollgate in an application: a gateway composed in code.
 */
package dev.tollgate.examples.embedded;
