/**
 * Request IDs: keeps a valid incoming correlation header or generates a time-ordered ID, and carries
 * it to the upstream, back to the client, and to other middleware and logs through {@code RequestId}.
 */
package dev.tollgate.middleware.requestid;
