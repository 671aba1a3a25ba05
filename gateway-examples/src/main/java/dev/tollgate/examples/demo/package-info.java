/**
 * A small, fast echo backend for demos, examples and the load driver's "direct" baseline.
 * It answers every request with a JSON description of what it received.
 */
package dev.tollgate.examples.demo;
