package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Regular expression builtins with regorus's semantics: Rust regex syntax and meaning (see
 * {@link RustRegex}), run on re2j in linear time. Match iteration (find_n, submatches, split,
 * replace) follows Rust's find_iter: an empty match right where the previous match ended is skipped,
 * and the search moves on by whole code points.
 */
final class RegexBuiltins {
    private RegexBuiltins() {
    }

    /** Compiled patterns; compiling is the costly part and policies reuse few patterns. */
    static final class Cache {
        private final Map<String, RustRegex> patterns = new ConcurrentHashMap<>();

        /** The compiled pattern, or null when it is not a valid regex. */
        RustRegex getOrNull(String re) {
            RustRegex p = patterns.get(re);
            if (p != null) {
                return p;
            }
            try {
                p = RustRegex.compile(re);
            } catch (RustRegex.SyntaxError | IllegalStateException e) {
                return null;
            }
            if (patterns.size() < 1000) {
                patterns.put(re, p);
            }
            return p;
        }

        RustRegex get(String fn, String re) throws RegoException {
            RustRegex p = getOrNull(re);
            if (p == null) {
                String why;
                try {
                    RustRegex.compile(re);
                    why = "invalid regex";
                } catch (RustRegex.SyntaxError | IllegalStateException e) {
                    why = e.getMessage();
                }
                throw new BuiltinError("eval_builtin_error: " + fn + ": invalid regular expression: " + why);
            }
            return p;
        }
    }

    static void register(Builtins target) {
        Bounded b = new Bounded(target);
        Cache cache = new Cache();
        b.add("regex.match", 2, (a, bu) -> Value.bool(cache.get("regex.match", Args.str("regex.match", a, 0))
                .isMatch(new DeadlineText(Args.str("regex.match", a, 1), bu))));
        b.add("re_match", 2, (a, bu) -> Value.bool(cache.get("re_match", Args.str("re_match", a, 0))
                .isMatch(new DeadlineText(Args.str("re_match", a, 1), bu))));
        b.add("regex.is_valid", 1, (a, bu) -> {
            if (!(a.get(0) instanceof Value.Str s)) {
                return Value.FALSE;
            }
            // an invalid pattern is the answer here, not an error
            return Value.bool(cache.getOrNull(s.value()) != null);
        });
        b.add("regex.replace", 3, (a, bu) -> {
            String s = Args.str("regex.replace", a, 0);
            RustRegex p = cache.getOrNull(Args.str("regex.replace", a, 1));
            String repl = Args.str("regex.replace", a, 2);
            if (p == null) {
                // regorus: an invalid pattern makes regex.replace undefined, not an error
                return null;
            }
            StringBuilder out = new StringBuilder();
            int last = 0;
            for (int[] m : matches(p, new DeadlineText(s, bu), -1)) {
                out.append(s, last, m[0]);
                expand(repl, m, p, s, out);
                last = m[1];
            }
            return Value.str(out.append(s, last, s.length()).toString());
        });
        b.add("regex.split", 2, (a, bu) -> {
            RustRegex p = cache.get("regex.split", Args.str("regex.split", a, 0));
            String s = Args.str("regex.split", a, 1);
            List<Value> out = new ArrayList<>();
            int last = 0;
            for (int[] m : matches(p, new DeadlineText(s, bu), -1)) {
                out.add(Value.str(s.substring(last, m[0])));
                last = m[1];
            }
            out.add(Value.str(s.substring(last)));
            return Values.arr(out);
        });
        b.add("regex.find_n", 3, (a, bu) -> {
            RustRegex p = cache.get("regex.find_n", Args.str("regex.find_n", a, 0));
            String s = Args.str("regex.find_n", a, 1);
            long n = Args.integer("regex.find_n", a, 2);
            List<Value> out = new ArrayList<>();
            for (int[] m : matches(p, new DeadlineText(s, bu), n)) {
                out.add(Value.str(s.substring(m[0], m[1])));
            }
            return Values.arr(out);
        });
        b.add("regex.find_all_string_submatch_n", 3, (a, bu) -> {
            String fn = "regex.find_all_string_submatch_n";
            RustRegex p = cache.get(fn, Args.str(fn, a, 0));
            String s = Args.str(fn, a, 1);
            long n = Args.integer(fn, a, 2);
            List<Value> out = new ArrayList<>();
            for (int[] m : matches(p, new DeadlineText(s, bu), n)) {
                List<Value> groups = new ArrayList<>();
                for (int g = 0; g < m.length / 2; g++) {
                    groups.add(Value.str(m[2 * g] < 0 ? "" : s.substring(m[2 * g], m[2 * g + 1])));
                }
                out.add(Values.arr(groups));
            }
            return Values.arr(out);
        });
    }

    /**
     * Successive matches as Rust's find_iter/captures_iter yields them: after an empty match the
     * search resumes one code point further, and an empty match where the last match ended is not
     * reported. n &lt; 0: all.
     */
    static List<int[]> matches(RustRegex p, CharSequence s, long n) {
        List<int[]> out = new ArrayList<>();
        int at = 0;
        int lastMatchEnd = -1;
        while ((n < 0 || out.size() < n) && at <= s.length()) {
            int[] m = p.find(s, at);
            if (m == null) {
                break;
            }
            if (m[0] == m[1]) {
                at = m[1] < s.length() ? m[1] + Character.charCount(Character.codePointAt(s, m[1])) : m[1] + 1;
                if (m[1] == lastMatchEnd) {
                    continue;
                }
            } else {
                at = m[1];
            }
            lastMatchEnd = m[1];
            out.add(m);
        }
        return out;
    }

    /**
     * Rust's Regex::replace_all replacement syntax: $N or $name (the longest run of [_0-9A-Za-z]),
     * ${name} to delimit, $$ for a literal $. A group that does not exist or did not match is "".
     * A $ not followed by a valid reference stays a literal $.
     */
    static void expand(String repl, int[] m, RustRegex p, String s, StringBuilder out) {
        int i = 0;
        while (i < repl.length()) {
            char c = repl.charAt(i);
            if (c != '$' || i + 1 >= repl.length()) {
                out.append(c);
                i++;
                continue;
            }
            char d = repl.charAt(i + 1);
            if (d == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            String name;
            int end;
            if (d == '{') {
                int close = repl.indexOf('}', i + 2);
                if (close < 0) {
                    out.append('$');
                    i++;
                    continue;
                }
                name = repl.substring(i + 2, close);
                end = close + 1;
            } else {
                int j = i + 1;
                while (j < repl.length() && isRefChar(repl.charAt(j))) {
                    j++;
                }
                if (j == i + 1) {
                    out.append('$');
                    i++;
                    continue;
                }
                name = repl.substring(i + 1, j);
                end = j;
            }
            int g = -1;
            if (!name.isEmpty() && name.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                try {
                    g = Integer.parseInt(name);
                } catch (NumberFormatException e) {
                    g = -1;
                }
            } else {
                g = p.names.getOrDefault(name, -1);
            }
            if (g >= 0 && 2 * g + 1 < m.length && m[2 * g] >= 0) {
                out.append(s, m[2 * g], m[2 * g + 1]);
            }
            i = end;
        }
    }

    private static boolean isRefChar(char c) {
        return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** Registers builtins so that a match running past the query's deadline ends as a limit error. */
    private record Bounded(Builtins builtins) {
        void add(String name, int arity, Builtins.Fn fn) {
            builtins.add(name, arity, (args, budget) -> {
                try {
                    return fn.apply(args, budget);
                } catch (DeadlineText.Expired e) {
                    throw new RegoException("eval_limit_error: execution exceeded time limit in " + name);
                }
            });
        }
    }
}
