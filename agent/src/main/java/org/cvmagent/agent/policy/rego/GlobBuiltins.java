package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * glob.match: shell-style patterns where "*" and "?" stop at delimiters, "**" crosses them, "[...]"
 * and "[!...]" are classes and "{a,b}" alternatives. Each pattern is translated to an RE2 regex
 * (re2j: linear time, whole-subject match, so no end-of-line subtleties) and cached.
 */
final class GlobBuiltins {
    private GlobBuiltins() {
    }

    private static final Map<String, Pattern> CACHE = new ConcurrentHashMap<>();

    static void register(Builtins b) {
        b.add("glob.match", 3, (a, bu) -> {
            String pattern = Args.str("glob.match", a, 0);
            List<String> delimiters = delimiters(a.get(1));
            String subject = Args.str("glob.match", a, 2);
            if (a.get(1) instanceof Value.Arr && (subject.indexOf('\0') >= 0 || pattern.indexOf('\0') >= 0)) {
                // regorus uses NUL as its internal placeholder and refuses it in text
                throw new BuiltinError("eval_builtin_error: glob.match: string contains internal glob placeholder");
            }
            String key = delimiters + "\u0000" + pattern;
            Pattern p = CACHE.get(key);
            if (p == null) {
                try {
                    p = Pattern.compile(translate(pattern, delimiters), Pattern.DOTALL);
                } catch (PatternSyntaxException e) {
                    throw new BuiltinError("glob.match: invalid pattern " + pattern, e);
                }
                if (CACHE.size() < 1000) {
                    CACHE.put(key, p);
                }
            }
            return Value.bool(p.matcher(subject).matches());
        });
    }

    /**
     * null means no delimiters at all; an empty array means OPA's default, "." . As regorus (globset,
     * with each delimiter rewritten to a path separator): a delimiter longer than one UTF-8 byte is
     * an error, empty strings are skipped (and so [""] means ["."]), and ":" is no delimiter at all,
     * because regorus rewrites it to its internal placeholder instead of a separator.
     */
    private static List<String> delimiters(Value v) throws RegoException {
        if (v instanceof Value.Null) {
            return List.of();
        }
        if (!(v instanceof Value.Arr arr)) {
            throw Args.typeError("glob.match", 1, "array or null", v);
        }
        List<String> out = new ArrayList<>();
        boolean any = false;
        for (Value d : arr.items()) {
            if (!(d instanceof Value.Str s)) {
                throw Args.typeError("glob.match", 1, "array of strings", v);
            }
            if (s.value().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 1) {
                throw new BuiltinError("eval_builtin_error: glob.match: delimiters must be single character");
            }
            if (!s.value().isEmpty()) {
                any = true;
                if (!s.value().equals(":")) {
                    out.add(s.value());
                }
            }
        }
        return any ? out : List.of(".");
    }

    static String translate(String glob, List<String> delimiters) throws RegoException {
        // what a single "*" or "?" may consume: anything but a delimiter character
        StringBuilder notDelim = new StringBuilder();
        for (String d : delimiters) {
            d.codePoints().forEach(c -> notDelim.append("\\x{").append(Integer.toHexString(c)).append('}'));
        }
        String one = notDelim.isEmpty() ? "." : "[^" + notDelim + "]";
        StringBuilder re = new StringBuilder();
        int braces = 0;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                        re.append(".*");
                        i++;
                    } else {
                        re.append(one).append('*');
                    }
                }
                case '?' -> re.append(one);
                case '[' -> i = charClass(glob, i, re);
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    if (braces == 0) {
                        re.append("\\}");
                    } else {
                        braces--;
                        re.append(')');
                    }
                }
                case ',' -> re.append(braces > 0 ? "|" : ",");
                case '\\' -> {
                    if (i + 1 >= glob.length()) {
                        throw new BuiltinError("glob.match: pattern ends with an escape");
                    }
                    re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        if (braces != 0) {
            throw new BuiltinError("glob.match: unclosed '{' in " + glob);
        }
        return re.toString();
    }

    /** Copies the class starting at glob[start] ('['), with "!" as negation; returns the index of its ']'. */
    private static int charClass(String glob, int start, StringBuilder re) throws RegoException {
        int end = glob.indexOf(']', start + 1);
        if (end < 0) {
            throw new BuiltinError("glob.match: unclosed '[' in " + glob);
        }
        String body = glob.substring(start + 1, end);
        re.append('[');
        if (body.startsWith("!")) {
            re.append('^');
            body = body.substring(1);
        }
        for (char c : body.toCharArray()) {
            // keep ranges, escape everything else that a Java class would read specially
            re.append(c == '-' ? "-" : "\\x{" + Integer.toHexString(c) + "}");
        }
        re.append(']');
        return end;
    }
}
