package org.cvmagent.attestation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.TreeSet;

/** The first place two JSON documents differ, for readable assertion messages on large claims. */
public final class JsonDiff {
    private JsonDiff() {
    }

    public static String firstDifference(JsonNode want, JsonNode got) {
        return diff("$", want, got);
    }

    private static String diff(String path, JsonNode want, JsonNode got) {
        if (want == null || got == null) {
            return path + ": " + (want == null ? "unexpected " + abbreviate(got) : "missing, wanted " + abbreviate(want));
        }
        if (want.isObject() && got.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            want.fieldNames().forEachRemaining(keys::add);
            got.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                String d = diff(path + "." + k, want.get(k), got.get(k));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (want.isArray() && got.isArray()) {
            if (want.size() != got.size()) {
                return path + ": " + got.size() + " items, wanted " + want.size();
            }
            Iterator<JsonNode> w = want.elements();
            Iterator<JsonNode> g = got.elements();
            for (int i = 0; w.hasNext(); i++) {
                String d = diff(path + "[" + i + "]", w.next(), g.next());
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        return want.equals(got) ? null : path + ": got " + abbreviate(got) + " (" + got.getNodeType() + "), wanted "
                + abbreviate(want) + " (" + want.getNodeType() + ")";
    }

    private static String abbreviate(JsonNode n) {
        String s = String.valueOf(n);
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
