/**
 * Rate limiting: token buckets (bucket4j) per request key, held in memory or shared through Redis,
 * with IETF {@code RateLimit} headers and a 429 problem naming the violated limit.
 */
package dev.tollgate.middleware.ratelimit;
