/**
 * IP allow and deny lists (IPv4 and IPv6 CIDRs) checked against the request's real client address,
 * with a sorted-range matcher whose cost grows with the logarithm of the number of ranges.
 */
package dev.tollgate.middleware.ipfilter;
