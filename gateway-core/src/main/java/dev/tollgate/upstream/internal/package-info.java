/**
 * Internals of upstreams: per-endpoint state and the per-IO-thread connection pools. Not API: may
 * change in any release.
 */
package dev.tollgate.upstream.internal;
