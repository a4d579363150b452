package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;

/**
 * An immutable set of Unicode scalar values as sorted, disjoint, non-adjacent inclusive ranges. The
 * regex translator ({@link RustRegex}) computes every character class itself with these, from the
 * JDK's Unicode tables, so that set operations, negation after case folding and Rust's Unicode-aware
 * \d \w \s do not depend on what re2j's own (older, ASCII-by-default) tables say.
 */
final class CharSet {
    static final int MAX = 0x10FFFF;
    static final CharSet EMPTY = new CharSet(new int[0]);
    static final CharSet ANY = new CharSet(new int[] {0, MAX});
    private static final CharSet SURROGATES = new CharSet(new int[] {0xD800, 0xDFFF});

    /** lo0, hi0, lo1, hi1, ... */
    final int[] r;

    private CharSet(int[] ranges) {
        this.r = ranges;
    }

    static CharSet of(int... loHi) {
        List<int[]> rs = new ArrayList<>();
        for (int i = 0; i < loHi.length; i += 2) {
            rs.add(new int[] {loHi[i], loHi[i + 1]});
        }
        return normalize(rs);
    }

    static CharSet single(int cp) {
        return new CharSet(new int[] {cp, cp});
    }

    private static final Map<String, CharSet> PREDICATE_CACHE = new ConcurrentHashMap<>();

    /** The set of code points that the predicate accepts; computed once per key. */
    static CharSet where(String key, IntPredicate p) {
        return PREDICATE_CACHE.computeIfAbsent(key, k -> {
            List<int[]> rs = new ArrayList<>();
            int start = -1;
            for (int c = 0; c <= MAX + 1; c++) {
                boolean in = c <= MAX && p.test(c);
                if (in && start < 0) {
                    start = c;
                } else if (!in && start >= 0) {
                    rs.add(new int[] {start, c - 1});
                    start = -1;
                }
            }
            return normalize(rs);
        });
    }

    private static CharSet normalize(List<int[]> rs) {
        rs.sort((a, b) -> Integer.compare(a[0], b[0]));
        int[] out = new int[rs.size() * 2];
        int n = 0;
        for (int[] x : rs) {
            if (n > 0 && x[0] <= out[n - 1] + 1) {
                out[n - 1] = Math.max(out[n - 1], x[1]);
            } else {
                out[n++] = x[0];
                out[n++] = x[1];
            }
        }
        return new CharSet(Arrays.copyOf(out, n));
    }

    boolean contains(int cp) {
        int lo = 0;
        int hi = r.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < r[2 * mid]) {
                hi = mid - 1;
            } else if (cp > r[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    boolean isEmpty() {
        return r.length == 0;
    }

    CharSet union(CharSet o) {
        List<int[]> rs = new ArrayList<>();
        for (int i = 0; i < r.length; i += 2) {
            rs.add(new int[] {r[i], r[i + 1]});
        }
        for (int i = 0; i < o.r.length; i += 2) {
            rs.add(new int[] {o.r[i], o.r[i + 1]});
        }
        return normalize(rs);
    }

    CharSet negate() {
        List<int[]> rs = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < r.length; i += 2) {
            if (r[i] > next) {
                rs.add(new int[] {next, r[i] - 1});
            }
            next = r[i + 1] + 1;
        }
        if (next <= MAX) {
            rs.add(new int[] {next, MAX});
        }
        return normalize(rs);
    }

    CharSet intersect(CharSet o) {
        return negate().union(o.negate()).negate();
    }

    CharSet minus(CharSet o) {
        return intersect(o.negate());
    }

    CharSet symmetricDifference(CharSet o) {
        return union(o).minus(intersect(o));
    }

    /** Whether every member is ASCII. */
    boolean isAscii() {
        return r.length == 0 || r[r.length - 1] < 0x80;
    }

    /**
     * Closes the set under simple case folding, as the Rust regex crate does for a case-insensitive
     * class (Unicode's CaseFolding.txt, statuses C and S). Approximated with the JDK's one-to-one case
     * mappings: two code points fold together when lower(upper(c)) agree; U+0130 and U+0131 (dotted
     * capital I, dotless small i) have no simple folding and stay alone, as in CaseFolding.txt.
     */
    CharSet caseFold() {
        Map<Integer, int[]> orbits = CaseOrbits.ORBITS;
        List<int[]> rs = new ArrayList<>();
        for (int i = 0; i < r.length; i += 2) {
            rs.add(new int[] {r[i], r[i + 1]});
            for (int c = r[i]; c <= r[i + 1]; c++) {
                int[] orbit = orbits.get(c);
                if (orbit != null) {
                    for (int o : orbit) {
                        rs.add(new int[] {o, o});
                    }
                }
            }
        }
        return normalize(rs);
    }

    /** The case-folding orbits of every code point that has one, built on first use. */
    private static final class CaseOrbits {
        static final Map<Integer, int[]> ORBITS = build();

        private static Map<Integer, int[]> build() {
            Map<Integer, List<Integer>> byKey = new java.util.HashMap<>();
            for (int c = 0; c <= MAX; c++) {
                if (c == 0x130 || c == 0x131 || (c >= 0xD800 && c <= 0xDFFF)) {
                    continue;
                }
                int key = Character.toLowerCase(Character.toUpperCase(c));
                if (key == 0x130 || key == 0x131) {
                    continue;
                }
                if (key != c || Character.toUpperCase(c) != c) {
                    byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
                }
            }
            Map<Integer, int[]> out = new java.util.HashMap<>();
            for (Map.Entry<Integer, List<Integer>> e : byKey.entrySet()) {
                List<Integer> members = new ArrayList<>(e.getValue());
                if (!members.contains(e.getKey())) {
                    members.add(e.getKey());
                }
                int[] arr = members.stream().mapToInt(Integer::intValue).toArray();
                for (int m : arr) {
                    out.put(m, arr);
                }
            }
            return out;
        }
    }

    /** A re2j character class for this set; never empty syntax. */
    String toRe2j() {
        int[] r = minus(SURROGATES).r;
        if (r.length == 0) {
            return "[^\\x00-\\x{10FFFF}]";
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < r.length; i += 2) {
            sb.append("\\x{").append(Integer.toHexString(r[i])).append('}');
            if (r[i + 1] != r[i]) {
                sb.append("-\\x{").append(Integer.toHexString(r[i + 1])).append('}');
            }
        }
        return sb.append(']').toString();
    }
}
