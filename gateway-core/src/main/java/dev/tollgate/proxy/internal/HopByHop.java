package dev.tollgate.proxy.internal;

import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/** Header rules of a proxy: which fields are hop-by-hop and must not be forwarded (RFC 9110 7.6.1). */
final class HopByHop {

    static final HttpString KEEP_ALIVE = HttpString.tryFromString("Keep-Alive");
    static final HttpString PROXY_CONNECTION = HttpString.tryFromString("Proxy-Connection");
    static final HttpString TE = HttpString.tryFromString("TE");

    private static final Set<HttpString> ALWAYS = Set.of(
            Headers.CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, TE, Headers.TRANSFER_ENCODING, Headers.UPGRADE,
            Headers.PROXY_AUTHORIZATION, Headers.PROXY_AUTHENTICATE);

    private HopByHop() {
    }

    /** Names listed in {@code Connection}, lower-cased; empty when there is none. */
    static Set<HttpString> connectionOptions(HeaderMap headers) {
        HeaderValues values = headers.get(Headers.CONNECTION);
        if (values == null) {
            return Set.of();
        }
        Set<HttpString> names = null;
        for (String v : values) {
            // the usual values name no header: skip the parsing and the set
            if (v.equalsIgnoreCase("keep-alive") || v.equalsIgnoreCase("close")) {
                continue;
            }
            for (String token : v.split(",")) {
                String t = token.trim();
                if (!t.isEmpty() && !t.equalsIgnoreCase("close")) {
                    if (names == null) {
                        names = new HashSet<>();
                    }
                    names.add(HttpString.tryFromString(t.toLowerCase(Locale.ROOT)));
                }
            }
        }
        return names == null ? Set.of() : names;
    }

    /** Whether the field must not be forwarded. HttpString compares case-insensitively. */
    static boolean isHopByHop(HttpString name, Set<HttpString> connectionOptions) {
        return ALWAYS.contains(name) || (!connectionOptions.isEmpty() && connectionOptions.contains(name));
    }
}
