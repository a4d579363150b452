package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/** Number builtins: rounding, conversion, ranges, bit operations and the function forms of operators. */
final class NumberBuiltins {
    private static final long MAX_RANGE = 10_000_000L;

    private NumberBuiltins() {
    }

    /**
     * regorus reads to_number's string as a JSON document (serde_json) that must be a number: JSON's
     * number grammar, ASCII digits only (no "+1", ".5", "5.", "01", "0x10", "NaN", no Arabic-Indic
     * digits, which BigDecimal would accept), JSON whitespace (space, tab, CR, LF) allowed around it,
     * and nothing beyond the range of a double. Returns the number's text, or null.
     */
    static String jsonNumber(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && isJsonSpace(s.charAt(b))) {
            b++;
        }
        while (e > b && isJsonSpace(s.charAt(e - 1))) {
            e--;
        }
        int i = b;
        if (i < e && s.charAt(i) == '-') {
            i++;
        }
        int digits = i;
        while (i < e && isAsciiDigit(s.charAt(i))) {
            i++;
        }
        if (i == digits || (s.charAt(digits) == '0' && i - digits > 1)) {
            return null;
        }
        if (i < e && s.charAt(i) == '.') {
            int frac = ++i;
            while (i < e && isAsciiDigit(s.charAt(i))) {
                i++;
            }
            if (i == frac) {
                return null;
            }
        }
        if (i < e && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < e && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exp = i;
            while (i < e && isAsciiDigit(s.charAt(i))) {
                i++;
            }
            if (i == exp) {
                return null;
            }
        }
        return i == e ? s.substring(b, e) : null;
    }

    private static boolean isJsonSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static final BigDecimal MAX_DOUBLE = new BigDecimal(Double.MAX_VALUE);

    static void register(Builtins b) {
        b.add("abs", 1, (a, bu) -> Value.num(Args.num("abs", a, 0).abs()));
        b.add("round", 1, (a, bu) -> Value.num(Args.num("round", a, 0).setScale(0, RoundingMode.HALF_UP)));
        b.add("ceil", 1, (a, bu) -> Value.num(Args.num("ceil", a, 0).setScale(0, RoundingMode.CEILING)));
        b.add("floor", 1, (a, bu) -> Value.num(Args.num("floor", a, 0).setScale(0, RoundingMode.FLOOR)));
        b.add("to_number", 1, (a, bu) -> switch (a.get(0)) {
            case Value.Num n -> n;
            case Value.Null n -> Value.num(0);
            case Value.Bool x -> Value.num(x.value() ? 1 : 0);
            case Value.Str s -> {
                String text = jsonNumber(s.value());
                BigDecimal n = null;
                try {
                    n = text == null ? null : new BigDecimal(text);
                } catch (NumberFormatException | ArithmeticException e) {
                    n = null;
                }
                // serde_json refuses a number beyond a double's range ("number out of range")
                if (n == null || n.abs().compareTo(MAX_DOUBLE) > 0) {
                    throw new BuiltinError("eval_builtin_error: to_number: invalid syntax: " + s.value());
                }
                yield Value.num(n);
            }
            default -> throw Args.typeError("to_number", 0, "null, boolean, number or string", a.get(0));
        });
        b.add("numbers.range", 2, (a, bu) -> range(Args.integer("numbers.range", a, 0),
                Args.integer("numbers.range", a, 1), 1, bu));
        b.add("numbers.range_step", 3, (a, bu) -> {
            long step = Args.integer("numbers.range_step", a, 2);
            if (step <= 0) {
                throw new BuiltinError("eval_builtin_error: numbers.range_step: step must be a positive number above zero");
            }
            return range(Args.integer("numbers.range_step", a, 0), Args.integer("numbers.range_step", a, 1), step, bu);
        });
        b.add("rand.intn", 2, (a, bu) -> {
            String key = Args.str("rand.intn", a, 0);
            Long bound = Args.integralOrNull("rand.intn", a, 1);
            if (bound == null) {
                return null;
            }
            long n = bound;
            if (n == 0) {
                return Value.num(0);
            }
            return bu.randomness.computeIfAbsent(List.of(Value.str("rand.intn"), Value.str(key), Value.num(n)),
                    x -> Value.num(java.util.concurrent.ThreadLocalRandom.current().nextLong(Math.abs(n))));
        });
        b.add("uuid.rfc4122", 1, (a, bu) -> {
            String key = Args.str("uuid.rfc4122", a, 0);
            return bu.randomness.computeIfAbsent(List.of(Value.str("uuid.rfc4122"), Value.str(key)),
                    x -> Value.str(java.util.UUID.randomUUID().toString()));
        });
        b.add("plus", 2, (a, bu) -> Operators.arith("+", a.get(0), a.get(1)));
        b.add("minus", 2, (a, bu) -> Operators.binary("-", a.get(0), a.get(1)));
        b.add("mul", 2, (a, bu) -> Operators.arith("*", a.get(0), a.get(1)));
        b.add("div", 2, (a, bu) -> Operators.arith("/", a.get(0), a.get(1)));
        b.add("rem", 2, (a, bu) -> Operators.arith("%", a.get(0), a.get(1)));
        b.add("bits.and", 2, (a, bu) -> Value.num(new BigDecimal(big("bits.and", a, 0).and(big("bits.and", a, 1)))));
        b.add("bits.or", 2, (a, bu) -> Value.num(new BigDecimal(big("bits.or", a, 0).or(big("bits.or", a, 1)))));
        b.add("bits.xor", 2, (a, bu) -> Value.num(new BigDecimal(big("bits.xor", a, 0).xor(big("bits.xor", a, 1)))));
        b.add("bits.negate", 1, (a, bu) -> Value.num(new BigDecimal(big("bits.negate", a, 0).not())));
        b.add("bits.lsh", 2, (a, bu) -> Value.num(new BigDecimal(big("bits.lsh", a, 0)
                .shiftLeft((int) Args.integer("bits.lsh", a, 1)))));
        b.add("bits.rsh", 2, (a, bu) -> Value.num(new BigDecimal(big("bits.rsh", a, 0)
                .shiftRight((int) Args.integer("bits.rsh", a, 1)))));
    }

    private static BigInteger big(String fn, List<Value> a, int i) throws RegoException {
        return BigInteger.valueOf(Args.integer(fn, a, i));
    }

    private static Value range(long from, long to, long step, Budget bu) throws RegoException {
        long n = Math.abs(to - from) / step + 1;
        if (n > MAX_RANGE) {
            throw new RegoException("eval_limit_error: numbers.range: range of " + n + " numbers is too large");
        }
        bu.charge(n);
        List<Value> out = new ArrayList<>((int) n);
        if (from <= to) {
            for (long i = from; i <= to; i += step) {
                out.add(Value.num(i));
            }
        } else {
            for (long i = from; i >= to; i -= step) {
                out.add(Value.num(i));
            }
        }
        return Values.arr(out);
    }
}
