package dev.tollgate.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;

/** Builds the case-insensitive, unmodifiable header multimaps the test kit hands out. */
final class HeaderMultimap {

    private final TreeMap<String, List<String>> map = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

    void add(String name, String value) {
        map.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }

    Map<String, List<String>> freeze() {
        TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        map.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        return Collections.unmodifiableMap(copy);
    }

    static Map<String, List<String>> of(HeaderMap headers) {
        HeaderMultimap result = new HeaderMultimap();
        if (headers != null) {
            for (HeaderValues values : headers) {
                for (String value : values) {
                    result.add(values.getHeaderName().toString(), value);
                }
            }
        }
        return result.freeze();
    }

    static Map<String, List<String>> empty() {
        return new HeaderMultimap().freeze();
    }
}
