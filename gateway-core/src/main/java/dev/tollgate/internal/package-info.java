/**
 * The gateway's own handlers around the routes: request framing checks, in-flight tracking for
 * draining, the error guard, health and readiness. Not API.
 */
package dev.tollgate.internal;
