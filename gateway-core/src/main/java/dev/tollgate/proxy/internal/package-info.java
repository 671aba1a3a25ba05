/**
 * The proxy engine: owns every attempt to an upstream, from connection to relayed response. Not API.
 */
package dev.tollgate.proxy.internal;
