/**
 * End-to-end load driver: an NIO HTTP/1.1 keep-alive load generator (closed-loop throughput and
 * coordinated-omission-corrected fixed-rate latency) and the targets it compares in one run.
 */
package dev.tollgate.benchmarks.load;
