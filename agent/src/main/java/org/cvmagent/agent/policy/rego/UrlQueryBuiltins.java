package org.cvmagent.agent.policy.rego;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * urlquery.*: the query-string encoding of Go's net/url (QueryEscape, QueryUnescape,
 * Values.Encode, ParseQuery), which OPA uses: only letters, digits and "-_.~" stay as they are,
 * a space is "+", every other byte of the UTF-8 text is "%XX".
 */
final class UrlQueryBuiltins {
    private UrlQueryBuiltins() {
    }

    static void register(Builtins b) {
        b.add("urlquery.encode", 1, (a, bu) -> Value.str(escape(Args.str("urlquery.encode", a, 0))));
        b.add("urlquery.decode", 1, (a, bu) -> Value.str(unescape("urlquery.decode", Args.str("urlquery.decode", a, 0))));
        b.add("urlquery.encode_object", 1, (a, bu) -> {
            String fn = "urlquery.encode_object";
            StringBuilder sb = new StringBuilder();
            // keys in sorted order, as url.Values.Encode writes them
            for (Map.Entry<Value, Value> e : Args.obj(fn, a, 0).map().entrySet()) {
                if (!(e.getKey() instanceof Value.Str k)) {
                    throw Args.typeError(fn, 0, "object with string keys", a.get(0));
                }
                List<Value> values = switch (e.getValue()) {
                    case Value.Str s -> List.of(s);
                    case Value.Arr arr -> arr.items();
                    case Value.SetV set -> List.copyOf(set.items());
                    default -> throw Args.typeError(fn, 0, "object of strings, arrays or sets of strings", a.get(0));
                };
                for (Value v : values) {
                    if (!(v instanceof Value.Str s)) {
                        throw Args.typeError(fn, 0, "object of strings, arrays or sets of strings", a.get(0));
                    }
                    if (!sb.isEmpty()) {
                        sb.append('&');
                    }
                    sb.append(escape(k.value())).append('=').append(escape(s.value()));
                }
            }
            return Value.str(sb.toString());
        });
        b.add("urlquery.decode_object", 1, (a, bu) -> {
            String fn = "urlquery.decode_object";
            String query = Args.str(fn, a, 0);
            TreeMap<Value, List<Value>> out = new TreeMap<>();
            for (String part : query.split("&", -1)) {
                if (part.isEmpty()) {
                    continue;
                }
                if (part.indexOf(';') >= 0) {
                    throw new BuiltinError("eval_builtin_error: " + fn + ": invalid semicolon separator in query");
                }
                int eq = part.indexOf('=');
                String key = unescape(fn, eq < 0 ? part : part.substring(0, eq));
                String value = eq < 0 ? "" : unescape(fn, part.substring(eq + 1));
                bu.step();
                out.computeIfAbsent(Value.str(key), k -> new ArrayList<>()).add(Value.str(value));
            }
            TreeMap<Value, Value> obj = new TreeMap<>();
            out.forEach((k, v) -> obj.put(k, Values.arr(v)));
            return Values.obj(obj);
        });
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                sb.append((char) c);
            } else if (c == ' ') {
                sb.append('+');
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    static String unescape(String fn, String s) throws RegoException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            byte c = in[i];
            if (c == '+') {
                out.write(' ');
            } else if (c == '%') {
                int hi = i + 2 < in.length ? Character.digit(in[i + 1], 16) : -1;
                int lo = i + 2 < in.length ? Character.digit(in[i + 2], 16) : -1;
                if (hi < 0 || lo < 0) {
                    String bad = s.substring(Math.min(s.length(), idx(s, i)), Math.min(s.length(), idx(s, i) + 3));
                    throw new BuiltinError("eval_builtin_error: " + fn + ": invalid URL escape \"" + bad + "\"");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The char index of a byte offset (the escape's start, for the message). */
    private static int idx(String s, int byteOffset) {
        return new String(s.getBytes(StandardCharsets.UTF_8), 0, byteOffset, StandardCharsets.UTF_8).length();
    }
}
