/**
 * JMH micro-benchmarks of per-request in-process costs: routing, middleware chains and request
 * header checks. Run them from the shaded {@code benchmarks.jar}; see the module README.
 */
package dev.tollgate.benchmarks.jmh;
