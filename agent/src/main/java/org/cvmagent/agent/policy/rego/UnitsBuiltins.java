package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;

/** units.parse and units.parse_bytes: a number followed by an SI or binary (…i) suffix. */
final class UnitsBuiltins {
    /** Decimal suffixes of units.parse, case-sensitive because "m" (milli) and "M" (mega) differ. */
    private static final Map<String, Integer> SI_EXPONENTS = Map.ofEntries(
            Map.entry("Q", 30), Map.entry("R", 27), Map.entry("Y", 24), Map.entry("Z", 21),
            Map.entry("E", 18), Map.entry("e", 18), Map.entry("P", 15), Map.entry("p", 15),
            Map.entry("T", 12), Map.entry("t", 12), Map.entry("G", 9), Map.entry("g", 9),
            Map.entry("M", 6), Map.entry("K", 3), Map.entry("k", 3), Map.entry("h", 2), Map.entry("da", 1),
            Map.entry("d", -1), Map.entry("c", -2), Map.entry("m", -3), Map.entry("μ", -6), Map.entry("n", -9),
            Map.entry("f", -15), Map.entry("a", -18), Map.entry("z", -21), Map.entry("y", -24),
            Map.entry("r", -27), Map.entry("q", -30));
    /** Powers of 1000 (or of 1024 with an "i") by lower-case letter, as units.parse_bytes reads them. */
    private static final String POWERS = "kmgtpezyrq";

    private UnitsBuiltins() {
    }

    static void register(Builtins b) {
        b.add("units.parse", 1, (a, bu) -> {
            Split s = split("units.parse", Args.str("units.parse", a, 0));
            Integer binary = binaryPower(s.suffix.toLowerCase(Locale.ROOT));
            if (binary != null) {
                return Value.num(s.number.multiply(BigDecimal.valueOf(1024).pow(binary)));
            }
            if (s.suffix.isEmpty()) {
                return Value.num(s.number);
            }
            Integer exp = SI_EXPONENTS.get(s.suffix);
            // an unknown suffix (such as a byte unit "mb") is a builtin error, which leaves the result undefined
            return exp == null ? null : Value.num(s.number.scaleByPowerOfTen(exp));
        });
        b.add("units.parse_bytes", 1, (a, bu) -> {
            Split s = split("units.parse_bytes", Args.str("units.parse_bytes", a, 0));
            String suffix = s.suffix.toLowerCase(Locale.ROOT);
            if (suffix.endsWith("b")) {
                suffix = suffix.substring(0, suffix.length() - 1);
            }
            BigDecimal bytes;
            Integer binary = binaryPower(suffix);
            if (binary != null) {
                bytes = s.number.multiply(BigDecimal.valueOf(1024).pow(binary));
            } else if (suffix.isEmpty()) {
                bytes = s.number;
            } else if (suffix.length() == 1 && POWERS.indexOf(suffix.charAt(0)) >= 0) {
                bytes = s.number.scaleByPowerOfTen(3 * (POWERS.indexOf(suffix.charAt(0)) + 1));
            } else {
                return null;
            }
            // a byte count is whole: fractions of a byte are dropped
            return Value.num(bytes.setScale(0, RoundingMode.DOWN));
        });
    }

    /** The power of 1024 for "ki", "mi", … (already lower-cased), or null. */
    private static Integer binaryPower(String lowerSuffix) {
        if (lowerSuffix.length() == 2 && lowerSuffix.charAt(1) == 'i') {
            int i = POWERS.indexOf(lowerSuffix.charAt(0));
            // 1024 powers stop at yobi; ronna/quetta have no binary prefix
            if (i >= 0 && i < 8) {
                return i + 1;
            }
        }
        return null;
    }

    private record Split(BigDecimal number, String suffix) {
    }

    /** Splits "1.5Gi" into 1.5 and "Gi", after removing the quotes OPA tolerates around the string. */
    private static Split split(String fn, String raw) throws RegoException {
        String s = raw;
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.chars().anyMatch(Character::isWhitespace)) {
            throw new BuiltinError(fn + ": spaces not allowed in resource strings");
        }
        int end = 0;
        while (end < s.length() && (Character.isDigit(s.charAt(end)) || s.charAt(end) == '.')) {
            end++;
        }
        if (end == 0) {
            throw new BuiltinError(fn + ": no amount provided");
        }
        try {
            return new Split(new BigDecimal(s.substring(0, end)), s.substring(end));
        } catch (NumberFormatException e) {
            throw new BuiltinError(fn + ": could not parse amount to a number", e);
        }
    }
}
