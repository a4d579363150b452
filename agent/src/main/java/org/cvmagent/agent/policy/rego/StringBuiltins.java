package org.cvmagent.agent.policy.rego;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** String builtins. Offsets and lengths count Unicode code points, as OPA does. */
final class StringBuiltins {
    private StringBuiltins() {
    }

    static void register(Builtins b) {
        b.add("concat", 2, (a, bu) -> {
            String delim = Args.str("concat", a, 0);
            List<String> parts = new ArrayList<>();
            for (Value v : Args.collection("concat", a, 1)) {
                if (!(v instanceof Value.Str s)) {
                    throw Args.typeError("concat", 1, "set of strings or array of strings", v);
                }
                parts.add(s.value());
            }
            return Value.str(String.join(delim, parts));
        });
        b.add("contains", 2, (a, bu) -> Value.bool(Args.str("contains", a, 0).contains(Args.str("contains", a, 1))));
        b.add("startswith", 2, (a, bu) -> Value.bool(Args.str("startswith", a, 0)
                .startsWith(Args.str("startswith", a, 1))));
        b.add("endswith", 2, (a, bu) -> Value.bool(Args.str("endswith", a, 0).endsWith(Args.str("endswith", a, 1))));
        b.add("indexof", 2, (a, bu) -> {
            String s = Args.str("indexof", a, 0);
            String sub = Args.str("indexof", a, 1);
            if (sub.isEmpty()) {
                return Value.num(-1);
            }
            int i = s.indexOf(sub);
            return Value.num(i < 0 ? -1 : s.codePointCount(0, i));
        });
        b.add("indexof_n", 2, (a, bu) -> {
            String s = Args.str("indexof_n", a, 0);
            String sub = Args.str("indexof_n", a, 1);
            List<Value> out = new ArrayList<>();
            for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
                out.add(Value.num(s.codePointCount(0, i)));
                if (sub.isEmpty() && i >= s.length()) {
                    break;
                }
            }
            return Values.arr(out);
        });
        b.add("lower", 1, (a, bu) -> Value.str(Args.str("lower", a, 0).toLowerCase(Locale.ROOT)));
        b.add("upper", 1, (a, bu) -> Value.str(Args.str("upper", a, 0).toUpperCase(Locale.ROOT)));
        b.add("replace", 3, (a, bu) -> {
            String s = Args.str("replace", a, 0);
            String old = Args.str("replace", a, 1);
            String repl = Args.str("replace", a, 2);
            // genpolicy calls replace hundreds of times per request, mostly with a pattern the text
            // lacks: hand back the argument itself rather than a new value
            if (!old.isEmpty() && !s.contains(old)) {
                return a.get(0);
            }
            if (old.isEmpty()) {
                // Rust's str::replace with "" inserts at every code point boundary; Java's String
                // would also split a surrogate pair
                StringBuilder out = new StringBuilder(repl);
                s.codePoints().forEach(cp -> out.appendCodePoint(cp).append(repl));
                return Value.str(out.toString());
            }
            return Value.str(s.replace(old, repl));
        });
        b.add("strings.replace_n", 2, (a, bu) -> {
            Value.Obj patterns = Args.obj("strings.replace_n", a, 0);
            String s = Args.str("strings.replace_n", a, 1);
            for (var e : patterns.map().entrySet()) {
                if (!(e.getKey() instanceof Value.Str k) || !(e.getValue() instanceof Value.Str v)) {
                    throw Args.typeError("strings.replace_n", 0, "object[string: string]", patterns);
                }
                s = s.replace(k.value(), v.value());
            }
            return Value.str(s);
        });
        b.add("strings.reverse", 1, (a, bu) -> Value.str(new StringBuilder(Args.str("strings.reverse", a, 0))
                .reverse().toString()));
        b.add("strings.any_prefix_match", 2, (a, bu) -> anyMatch(a, true));
        b.add("strings.any_suffix_match", 2, (a, bu) -> anyMatch(a, false));
        b.add("strings.count", 2, (a, bu) -> {
            String s = Args.str("strings.count", a, 0);
            String sub = Args.str("strings.count", a, 1);
            if (sub.isEmpty()) {
                return Value.num(s.codePointCount(0, s.length()) + 1);
            }
            int n = 0;
            for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
                n++;
            }
            return Value.num(n);
        });
        b.add("split", 2, (a, bu) -> {
            String s = Args.str("split", a, 0);
            String d = Args.str("split", a, 1);
            List<Value> out = new ArrayList<>();
            if (d.isEmpty()) {
                s.codePoints().forEach(cp -> out.add(Value.str(new String(Character.toChars(cp)))));
                return Values.arr(out);
            }
            int from = 0;
            for (int i = s.indexOf(d); i >= 0; i = s.indexOf(d, from)) {
                out.add(Value.str(s.substring(from, i)));
                from = i + d.length();
            }
            out.add(Value.str(s.substring(from)));
            return Values.arr(out);
        });
        b.add("substring", 3, (a, bu) -> {
            String s = Args.str("substring", a, 0);
            long off = Args.integer("substring", a, 1);
            long len = Args.integer("substring", a, 2);
            if (off < 0) {
                throw new BuiltinError("eval_builtin_error: substring: negative offset");
            }
            int[] cps = s.codePoints().toArray();
            if (off >= cps.length) {
                return Value.str("");
            }
            long end = len < 0 ? cps.length : Math.min(cps.length, off + len);
            return Value.str(new String(cps, (int) off, (int) (end - off)));
        });
        b.add("trim", 2, (a, bu) -> {
            String cut = Args.str("trim", a, 1);
            return Value.str(trimRight(trimLeft(Args.str("trim", a, 0), cut), cut));
        });
        b.add("trim_left", 2, (a, bu) -> Value.str(trimLeft(Args.str("trim_left", a, 0), Args.str("trim_left", a, 1))));
        b.add("trim_right", 2, (a, bu) -> Value.str(trimRight(Args.str("trim_right", a, 0),
                Args.str("trim_right", a, 1))));
        b.add("trim_prefix", 2, (a, bu) -> {
            String s = Args.str("trim_prefix", a, 0);
            String p = Args.str("trim_prefix", a, 1);
            return Value.str(s.startsWith(p) ? s.substring(p.length()) : s);
        });
        b.add("trim_suffix", 2, (a, bu) -> {
            String s = Args.str("trim_suffix", a, 0);
            String p = Args.str("trim_suffix", a, 1);
            return Value.str(s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s);
        });
        // Rust's str::trim (regorus): Unicode White_Space, which has U+0085 and the no-break spaces
        // that Java's strip() leaves, and not U+001C..U+001F, which strip() removes
        b.add("trim_space", 1, (a, bu) -> {
            String s = Args.str("trim_space", a, 0);
            int i = 0;
            int j = s.length();
            while (i < j && RustRegex.WHITE_SPACE.contains(s.charAt(i))) {
                i++;
            }
            while (j > i && RustRegex.WHITE_SPACE.contains(s.charAt(j - 1))) {
                j--;
            }
            return Value.str(s.substring(i, j));
        });
        b.add("format_int", 2, (a, bu) -> {
            BigInteger n = Args.num("format_int", a, 0).setScale(0, java.math.RoundingMode.DOWN).toBigInteger();
            long base = Args.integer("format_int", a, 1);
            if (base != 2 && base != 8 && base != 10 && base != 16) {
                throw new BuiltinError("eval_builtin_error: format_int: operand 2 must be one of {2, 8, 10, 16}");
            }
            return Value.str(n.toString((int) base));
        });
        b.add("sprintf", 2, (a, bu) -> Value.str(Sprintf.format(Args.str("sprintf", a, 0), Args.arr("sprintf", a, 1))));
    }

    private static Value anyMatch(List<Value> a, boolean prefix) throws RegoException {
        String fn = prefix ? "strings.any_prefix_match" : "strings.any_suffix_match";
        List<Value> ss = a.get(0) instanceof Value.Str ? List.of(a.get(0)) : Args.collection(fn, a, 0);
        List<Value> ps = a.get(1) instanceof Value.Str ? List.of(a.get(1)) : Args.collection(fn, a, 1);
        for (Value s : ss) {
            for (Value p : ps) {
                if (s instanceof Value.Str x && p instanceof Value.Str y
                        && (prefix ? x.value().startsWith(y.value()) : x.value().endsWith(y.value()))) {
                    return Value.TRUE;
                }
            }
        }
        return Value.FALSE;
    }

    static String trimLeft(String s, String cut) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (cut.indexOf(cp) < 0) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String trimRight(String s, String cut) {
        int i = s.length();
        while (i > 0) {
            int cp = s.codePointBefore(i);
            if (cut.indexOf(cp) < 0) {
                break;
            }
            i -= Character.charCount(cp);
        }
        return s.substring(0, i);
    }
}
