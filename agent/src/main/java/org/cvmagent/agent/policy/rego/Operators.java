package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.TreeSet;

/** Rego's infix operators: comparisons over the total order, arithmetic, set algebra. */
final class Operators {
    private Operators() {
    }

    static Value binary(String op, Value l, Value r) throws RegoException {
        return switch (op) {
            case "==" -> Value.bool(l.equals(r));
            case "!=" -> Value.bool(!l.equals(r));
            case "<" -> Value.bool(l.compareTo(r) < 0);
            case "<=" -> Value.bool(l.compareTo(r) <= 0);
            case ">" -> Value.bool(l.compareTo(r) > 0);
            case ">=" -> Value.bool(l.compareTo(r) >= 0);
            case "|" -> setOp(op, l, r);
            case "&" -> setOp(op, l, r);
            case "-" -> l instanceof Value.SetV && r instanceof Value.SetV ? setOp(op, l, r) : arith(op, l, r);
            default -> arith(op, l, r);
        };
    }

    static Value setOp(String op, Value l, Value r) throws RegoException {
        if (!(l instanceof Value.SetV a) || !(r instanceof Value.SetV b)) {
            throw new BuiltinError("rego_type_error: operator " + op + " expects sets, got "
                    + Values.typeName(l) + " and " + Values.typeName(r));
        }
        TreeSet<Value> out = new TreeSet<>(a.items());
        switch (op) {
            case "|" -> out.addAll(b.items());
            case "&" -> out.retainAll(b.items());
            default -> out.removeAll(b.items());
        }
        return Values.set(out);
    }

    static Value arith(String op, Value l, Value r) throws RegoException {
        if (!(l instanceof Value.Num a) || !(r instanceof Value.Num b)) {
            throw new BuiltinError("rego_type_error: operator " + op + " expects numbers, got "
                    + Values.typeName(l) + " and " + Values.typeName(r));
        }
        BigDecimal x = a.value();
        BigDecimal y = b.value();
        if (!op.equals("%") && (!Values.isInteger(x) || !Values.isInteger(y))) {
            return floating(op, x.doubleValue(), y.doubleValue());
        }
        return switch (op) {
            case "+" -> Value.num(x.add(y));
            case "-" -> Value.num(x.subtract(y));
            case "*" -> Value.num(x.multiply(y));
            case "/" -> {
                if (y.signum() == 0) {
                    throw new BuiltinError("eval_builtin_error: div: divide by zero");
                }
                yield Value.num(divide(x, y));
            }
            case "%" -> {
                if (y.signum() == 0) {
                    throw new BuiltinError("eval_builtin_error: rem: modulo by zero");
                }
                if (!exactInteger(x) || !exactInteger(y)) {
                    throw new BuiltinError("eval_builtin_error: rem: modulo on floating-point number");
                }
                yield Value.num(new BigDecimal(x.toBigIntegerExact().remainder(y.toBigIntegerExact())));
            }
            default -> throw new RegoException("unknown operator " + op);
        };
    }

    private static final BigDecimal FLOAT_EXACT_LIMIT = BigDecimal.valueOf(1L << 53);

    /**
     * An integer modulo can take: a number written with a fraction or exponent is a float to regorus,
     * and beyond 2^53 a float is no longer known to be that integer.
     */
    private static boolean exactInteger(BigDecimal d) {
        return Values.isInteger(d) && (d.scale() <= 0 || d.abs().compareTo(FLOAT_EXACT_LIMIT) <= 0);
    }

    /** Integers are exact; a quotient that is not an integer is a double, as in regorus and OPA's JSON. */
    static BigDecimal divide(BigDecimal x, BigDecimal y) {
        BigDecimal q = x.divide(y, MathContext.DECIMAL128);
        if (Values.isInteger(q)) {
            return new BigDecimal(q.toBigInteger());
        }
        return BigDecimal.valueOf(x.doubleValue() / y.doubleValue());
    }

    /** Arithmetic with a non-integer operand runs in binary floating point, as regorus does. */
    private static Value floating(String op, double x, double y) throws RegoException {
        double r = switch (op) {
            case "+" -> x + y;
            case "-" -> x - y;
            case "*" -> x * y;
            case "/" -> {
                if (y == 0) {
                    throw new BuiltinError("eval_builtin_error: div: divide by zero");
                }
                yield x / y;
            }
            default -> throw new RegoException("unknown operator " + op);
        };
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            throw new BuiltinError("eval_builtin_error: arithmetic result out of range");
        }
        return Value.num(BigDecimal.valueOf(r));
    }

    static boolean member(Value v, Value coll) {
        return switch (coll) {
            case Value.Arr a -> a.items().contains(v);
            case Value.SetV s -> s.items().contains(v);
            case Value.Obj o -> o.map().containsValue(v);
            default -> false;
        };
    }
}
