/**
 * Network address helpers shared by the proxy and the middleware: CIDR ranges and the trusted-proxy
 * rule for finding a request's real client address.
 */
package dev.tollgate.net;
