package org.cvmagent.agent.policy.rego;

import java.math.BigInteger;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * semver.is_valid and semver.compare: Semantic Versioning 2.0.0 versions (MAJOR.MINOR.PATCH, an
 * optional pre-release after "-" and build metadata after "+"; no leading "v", no leading zeros in
 * numeric parts), ordered by the specification's precedence rules. Build metadata does not count.
 */
final class SemverBuiltins {
    /** The grammar of semver.org, section "Backus–Naur Form Grammar", as one expression. */
    private static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)"
                    + "(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
                    + "(?:\\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
                    + "(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?");

    private SemverBuiltins() {
    }

    /** A parsed version: the three numbers and the pre-release identifiers (empty when none). */
    record Version(BigInteger major, BigInteger minor, BigInteger patch, List<String> pre) implements Comparable<Version> {
        static Version parse(String s) {
            Matcher m = SEMVER.matcher(s);
            if (!m.matches()) {
                return null;
            }
            List<String> pre = m.group(4) == null ? List.of() : List.of(m.group(4).split("\\.", -1));
            return new Version(new BigInteger(m.group(1)), new BigInteger(m.group(2)), new BigInteger(m.group(3)), pre);
        }

        @Override
        public int compareTo(Version o) {
            int c = major.compareTo(o.major);
            if (c == 0) {
                c = minor.compareTo(o.minor);
            }
            if (c == 0) {
                c = patch.compareTo(o.patch);
            }
            if (c != 0) {
                return c;
            }
            // a pre-release ranks below the release itself
            if (pre.isEmpty() || o.pre.isEmpty()) {
                return Boolean.compare(pre.isEmpty(), o.pre.isEmpty());
            }
            for (int i = 0; i < Math.min(pre.size(), o.pre.size()); i++) {
                c = compareIdentifier(pre.get(i), o.pre.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(pre.size(), o.pre.size());
        }

        /** Numeric identifiers compare as numbers and rank below alphanumeric ones, which compare in ASCII order. */
        private static int compareIdentifier(String a, String b) {
            boolean an = numeric(a);
            boolean bn = numeric(b);
            if (an && bn) {
                return new BigInteger(a).compareTo(new BigInteger(b));
            }
            if (an != bn) {
                return an ? -1 : 1;
            }
            return Integer.signum(a.compareTo(b));
        }

        private static boolean numeric(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                    return false;
                }
            }
            return true;
        }
    }

    static void register(Builtins b) {
        // a non-string is a type error, as in regorus (strict: an error, otherwise undefined); OPA answers false
        b.add("semver.is_valid", 1, (a, bu) -> Value.bool(Version.parse(Args.str("semver.is_valid", a, 0)) != null));
        b.add("semver.compare", 2, (a, bu) -> {
            Version x = version(a, 0);
            Version y = version(a, 1);
            return Value.num(Integer.signum(x.compareTo(y)));
        });
    }

    private static Version version(List<Value> a, int i) throws RegoException {
        String s = Args.str("semver.compare", a, i);
        Version v = Version.parse(s);
        if (v == null) {
            throw new BuiltinError("eval_builtin_error: semver.compare: operand " + (i + 1) + ": string \"" + s
                    + "\" is not a valid SemVer");
        }
        return v;
    }
}
