/**
 * Bearer-token authentication: JWT validation against a JWKS URL, a static JWK set or an HMAC secret
 * ({@link dev.tollgate.middleware.jwt.JwtAuth}), RFC 7662 introspection of opaque tokens
 * ({@link dev.tollgate.middleware.jwt.TokenIntrospection}) and per-route scope and claim rules
 * ({@link dev.tollgate.middleware.jwt.Requirement}). Needs the optional nimbus-jose-jwt and caffeine.
 */
package dev.tollgate.middleware.jwt;
