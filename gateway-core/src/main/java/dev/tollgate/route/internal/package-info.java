/**
 * The compiled router: a segment trie built once from the routes, and path normalisation. Not API.
 */
package dev.tollgate.route.internal;
