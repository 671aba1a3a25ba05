/**
 * Upstreams: named pools of endpoints the gateway proxies to, their specs and their run-time handles
 * (endpoint sets that can be replaced while traffic flows; removed endpoints drain), and the load
 * balancers that choose an endpoint per request.
 */
package dev.tollgate.upstream;
