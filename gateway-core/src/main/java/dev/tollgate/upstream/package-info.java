/**
 * Upstreams: named pools of endpoints the gateway proxies to, their specs and their run-time handles
 * (endpoint sets that can be replaced while traffic flows; removed endpoints drain).
 */
package dev.tollgate.upstream;
