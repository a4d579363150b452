package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Regular expression builtins on java.util.regex. RE2 syntax is close to Java's for the patterns
 * policies use; RE2's named groups (?P<name>...) are rewritten to Java's (?<name>...).
 */
final class RegexBuiltins {
    private RegexBuiltins() {
    }

    /** Compiled patterns; compiling is the costly part and policies reuse few patterns. */
    private static final class Cache {
        private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();

        Pattern get(String fn, String re) throws RegoException {
            Pattern p = patterns.get(re);
            if (p != null) {
                return p;
            }
            try {
                p = Pattern.compile(re.replace("(?P<", "(?<"));
            } catch (PatternSyntaxException e) {
                throw new BuiltinError("eval_builtin_error: " + fn + ": invalid regular expression: "
                        + e.getDescription(), e);
            }
            if (patterns.size() < 1000) {
                patterns.put(re, p);
            }
            return p;
        }
    }

    static void register(Builtins target) {
        Bounded b = new Bounded(target);
        Cache cache = new Cache();
        b.add("regex.match", 2, (a, bu) -> Value.bool(cache.get("regex.match", Args.str("regex.match", a, 0))
                .matcher(new DeadlineText(Args.str("regex.match", a, 1), bu)).find()));
        b.add("re_match", 2, (a, bu) -> Value.bool(cache.get("re_match", Args.str("re_match", a, 0))
                .matcher(new DeadlineText(Args.str("re_match", a, 1), bu)).find()));
        b.add("regex.is_valid", 1, (a, bu) -> {
            if (!(a.get(0) instanceof Value.Str s)) {
                return Value.FALSE;
            }
            try {
                Pattern.compile(s.value().replace("(?P<", "(?<"));
                return Value.TRUE;
            } catch (PatternSyntaxException e) {
                // an invalid pattern is the answer here, not an error
                return Value.FALSE;
            }
        });
        b.add("regex.replace", 3, (a, bu) -> {
            Pattern p = cache.get("regex.replace", Args.str("regex.replace", a, 1));
            String repl = Args.str("regex.replace", a, 2).replace("\\", "\\\\").replaceAll("\\$\\{(\\w+)\\}", "\\${$1}");
            return Value.str(p.matcher(new DeadlineText(Args.str("regex.replace", a, 0), bu)).replaceAll(repl));
        });
        b.add("regex.split", 2, (a, bu) -> {
            String[] parts = cache.get("regex.split", Args.str("regex.split", a, 0))
                    .split(new DeadlineText(Args.str("regex.split", a, 1), bu), -1);
            List<Value> out = new ArrayList<>();
            for (String s : parts) {
                out.add(Value.str(s));
            }
            return Values.arr(out);
        });
        b.add("regex.find_n", 3, (a, bu) -> {
            Matcher m = cache.get("regex.find_n", Args.str("regex.find_n", a, 0)).matcher(new DeadlineText(Args.str("regex.find_n", a, 1), bu));
            long n = Args.integer("regex.find_n", a, 2);
            List<Value> out = new ArrayList<>();
            while ((n < 0 || out.size() < n) && m.find()) {
                out.add(Value.str(m.group()));
            }
            return Values.arr(out);
        });
        b.add("regex.find_all_string_submatch_n", 3, (a, bu) -> {
            String fn = "regex.find_all_string_submatch_n";
            Matcher m = cache.get(fn, Args.str(fn, a, 0)).matcher(new DeadlineText(Args.str(fn, a, 1), bu));
            long n = Args.integer(fn, a, 2);
            List<Value> out = new ArrayList<>();
            while ((n < 0 || out.size() < n) && m.find()) {
                List<Value> groups = new ArrayList<>();
                for (int g = 0; g <= m.groupCount(); g++) {
                    groups.add(Value.str(m.group(g) == null ? "" : m.group(g)));
                }
                out.add(Values.arr(groups));
            }
            return Values.arr(out);
        });
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
