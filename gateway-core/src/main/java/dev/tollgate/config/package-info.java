/**
 * Configuration from the environment (and later YAML): thin layers that call the typed builders, so
 * every source is validated by the same code and fails with the same messages.
 */
package dev.tollgate.config;
