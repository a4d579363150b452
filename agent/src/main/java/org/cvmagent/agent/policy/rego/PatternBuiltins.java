package org.cvmagent.agent.policy.rego;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * regex.template_match and regex.globs_match.
 *
 * <p>template_match compiles its regular expressions as the other regex builtins do
 * ({@link RustRegex}: Rust regex syntax and semantics, as regorus; linear time), anchored to the
 * whole subject, and matches under the query's deadline.
 *
 * <p>globs_match needs no regex engine: its patterns are a small language (literal characters,
 * "\" escapes, ".", classes "[...]", each optionally followed by "*" or "+"), and two patterns
 * match a common string exactly when the product of their automata reaches its end.
 */
final class PatternBuiltins {
    private PatternBuiltins() {
    }

    static void register(Builtins b) {
        b.add("regex.template_match", 4, (a, bu) -> {
            String fn = "regex.template_match";
            String template = Args.str(fn, a, 0);
            String subject = Args.str(fn, a, 1);
            String start = Args.str(fn, a, 2);
            String end = Args.str(fn, a, 3);
            if (start.length() != 1) {
                throw new BuiltinError("eval_builtin_error: " + fn + ": start delimiter has to be exactly one character long but is "
                        + start.length() + " long");
            }
            if (end.length() != 1) {
                throw new BuiltinError("eval_builtin_error: " + fn + ": end delimiter has to be exactly one character long but is "
                        + end.length() + " long");
            }
            RustRegex p = templatePattern(fn, template, start.charAt(0), end.charAt(0));
            try {
                return Value.bool(p.isMatch(new DeadlineText(subject, bu)));
            } catch (DeadlineText.Expired e) {
                throw new RegoException("eval_limit_error: execution exceeded time limit in " + fn);
            }
        });
        b.add("regex.globs_match", 2, (a, bu) -> {
            String fn = "regex.globs_match";
            List<Tok> x = parseGlob(fn, Args.str(fn, a, 0));
            List<Tok> y = parseGlob(fn, Args.str(fn, a, 1));
            return Value.bool(intersects(x, y, bu));
        });
    }

    // ---- regex.template_match

    /** The template's text between delimiters is a regex, the rest literal; the whole subject must match. */
    static RustRegex templatePattern(String fn, String template, char open, char close) throws RegoException {
        StringBuilder re = new StringBuilder();
        int level = 0;
        int from = 0;
        int varStart = 0;
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == open) {
                if (++level == 1) {
                    varStart = i;
                }
            } else if (c == close) {
                if (--level == 0) {
                    literal(re, template.substring(from, varStart));
                    re.append('(').append(template, varStart + 1, i).append(')');
                    from = i + 1;
                } else if (level < 0) {
                    break;
                }
            }
        }
        if (level != 0) {
            throw new BuiltinError("eval_builtin_error: " + fn + ": unbalanced braces in \"" + template + "\"");
        }
        literal(re, template.substring(from));
        try {
            return RustRegex.compile("^(?:" + re + ")$");
        } catch (RustRegex.SyntaxError | IllegalStateException e) {
            throw new BuiltinError("eval_builtin_error: " + fn + ": invalid regular expression: " + e.getMessage(), e);
        }
    }

    /** Rust regex's escaping: a backslash before each of its meta characters. */
    private static void literal(StringBuilder re, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ("\\.+*?()|[]{}^$#&-~".indexOf(c) >= 0) {
                re.append('\\');
            }
            re.append(c);
        }
    }

    // ---- regex.globs_match

    /** One position of a glob: a set of characters (sorted disjoint code point ranges) and whether it repeats. */
    record Tok(int[] ranges, boolean star) {
    }

    private static final int MAX = Character.MAX_CODE_POINT;

    static List<Tok> parseGlob(String fn, String g) throws RegoException {
        List<Tok> out = new ArrayList<>();
        int i = 0;
        while (i < g.length()) {
            int c = g.codePointAt(i);
            int[] set;
            if (c == '.') {
                set = new int[] {0, MAX};
                i++;
            } else if (c == '[') {
                int close = i + 1;
                List<Integer> bounds = new ArrayList<>();
                boolean negate = close < g.length() && g.charAt(close) == '^';
                if (negate) {
                    close++;
                }
                boolean first = true;
                while (true) {
                    if (close >= g.length()) {
                        throw new BuiltinError("eval_builtin_error: " + fn + ": unclosed character class in " + g);
                    }
                    int d = g.codePointAt(close);
                    if (d == ']' && !first) {
                        break;
                    }
                    first = false;
                    if (d == '\\' && close + 1 < g.length()) {
                        close++;
                        d = g.codePointAt(close);
                    }
                    close += Character.charCount(d);
                    int hi = d;
                    if (close + 1 < g.length() && g.charAt(close) == '-' && g.charAt(close + 1) != ']') {
                        hi = g.codePointAt(close + 1);
                        if (hi == '\\' && close + 2 < g.length()) {
                            close++;
                            hi = g.codePointAt(close + 1);
                        }
                        close += 1 + Character.charCount(hi);
                        if (hi < d) {
                            throw new BuiltinError("eval_builtin_error: " + fn + ": invalid character class range in " + g);
                        }
                    }
                    bounds.add(d);
                    bounds.add(hi);
                }
                set = normalise(bounds, negate);
                i = close + 1;
            } else if (c == '*' || c == '+') {
                throw new BuiltinError("eval_builtin_error: " + fn + ": quantifier without a preceding character in " + g);
            } else {
                if (c == '\\') {
                    if (i + 1 >= g.length()) {
                        throw new BuiltinError("eval_builtin_error: " + fn + ": pattern ends with an escape: " + g);
                    }
                    i++;
                    c = g.codePointAt(i);
                }
                set = new int[] {c, c};
                i += Character.charCount(c);
            }
            if (i < g.length() && g.charAt(i) == '*') {
                out.add(new Tok(set, true));
                i++;
            } else if (i < g.length() && g.charAt(i) == '+') {
                out.add(new Tok(set, false));
                out.add(new Tok(set, true));
                i++;
            } else {
                out.add(new Tok(set, false));
            }
        }
        return out;
    }

    /** Sorted, merged ranges from [lo, hi] pairs, complemented when negate. */
    private static int[] normalise(List<Integer> bounds, boolean negate) {
        List<int[]> rs = new ArrayList<>();
        for (int k = 0; k < bounds.size(); k += 2) {
            rs.add(new int[] {bounds.get(k), bounds.get(k + 1)});
        }
        rs.sort((p, q) -> Integer.compare(p[0], q[0]));
        List<int[]> merged = new ArrayList<>();
        for (int[] r : rs) {
            int[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(r.clone());
            }
        }
        if (negate) {
            List<int[]> comp = new ArrayList<>();
            int next = 0;
            for (int[] r : merged) {
                if (r[0] > next) {
                    comp.add(new int[] {next, r[0] - 1});
                }
                next = r[1] + 1;
            }
            if (next <= MAX) {
                comp.add(new int[] {next, MAX});
            }
            merged = comp;
        }
        int[] out = new int[merged.size() * 2];
        for (int k = 0; k < merged.size(); k++) {
            out[2 * k] = merged.get(k)[0];
            out[2 * k + 1] = merged.get(k)[1];
        }
        return out;
    }

    private static boolean overlap(int[] a, int[] b) {
        int i = 0;
        int j = 0;
        while (i < a.length && j < b.length) {
            if (a[i + 1] < b[j]) {
                i += 2;
            } else if (b[j + 1] < a[i]) {
                j += 2;
            } else {
                return true;
            }
        }
        return false;
    }

    /** Whether some string is matched by both globs: a search of the product automaton. */
    static boolean intersects(List<Tok> x, List<Tok> y, Budget bu) throws RegoException {
        Deque<int[]> work = new ArrayDeque<>();
        Set<Long> seen = new HashSet<>();
        work.push(new int[] {0, 0});
        while (!work.isEmpty()) {
            bu.step();
            int[] s = work.pop();
            if (!seen.add((long) s[0] << 32 | s[1])) {
                continue;
            }
            int i = s[0];
            int j = s[1];
            if (i == x.size() && j == y.size()) {
                return true;
            }
            // a repeated position may also be skipped
            if (i < x.size() && x.get(i).star()) {
                work.push(new int[] {i + 1, j});
            }
            if (j < y.size() && y.get(j).star()) {
                work.push(new int[] {i, j + 1});
            }
            if (i < x.size() && j < y.size() && overlap(x.get(i).ranges(), y.get(j).ranges())) {
                // one common character: a repeated position stays where it is
                work.push(new int[] {x.get(i).star() ? i : i + 1, y.get(j).star() ? j : j + 1});
            }
        }
        return false;
    }
}
