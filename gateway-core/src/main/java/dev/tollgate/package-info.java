/**
 * Tollgate: an embeddable API gateway on Undertow. Start at {@link dev.tollgate.Gateway#builder()}.
 */
package dev.tollgate;
