/**
 * Two custom middleware written against the SPI: one adds headers on both sides, one short-circuits.
 */
package dev.tollgate.examples.middleware;
