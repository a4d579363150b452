package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.util.List;

/** Typed access to builtin operands, failing with OPA's operand type messages. */
final class Args {
    private Args() {
    }

    static RegoException typeError(String fn, int i, String want, Value got) {
        return new BuiltinError("eval_type_error: " + fn + ": operand " + (i + 1) + " must be " + want + " but got "
                + Values.typeName(got));
    }

    static String str(String fn, List<Value> a, int i) throws RegoException {
        if (a.get(i) instanceof Value.Str s) {
            return s.value();
        }
        throw typeError(fn, i, "string", a.get(i));
    }

    static BigDecimal num(String fn, List<Value> a, int i) throws RegoException {
        if (a.get(i) instanceof Value.Num n) {
            return n.value();
        }
        throw typeError(fn, i, "number", a.get(i));
    }

    static long integer(String fn, List<Value> a, int i) throws RegoException {
        BigDecimal d = num(fn, a, i);
        if (!Values.isInteger(d)) {
            throw new BuiltinError("eval_type_error: " + fn + ": operand " + (i + 1) + " must be integer but got "
                    + "floating-point number");
        }
        try {
            return d.longValueExact();
        } catch (ArithmeticException e) {
            throw new BuiltinError("eval_type_error: " + fn + ": operand " + (i + 1) + " is too large", e);
        }
    }

    /**
     * An integer operand, or null when the number has a fraction: OPA's array.slice and rand.intn
     * leave their result undefined then rather than raising a type error.
     */
    static Long integralOrNull(String fn, List<Value> a, int i) throws RegoException {
        BigDecimal d = num(fn, a, i);
        if (!Values.isInteger(d)) {
            return null;
        }
        return integer(fn, a, i);
    }

    static Value.Arr arr(String fn, List<Value> a, int i) throws RegoException {
        if (a.get(i) instanceof Value.Arr v) {
            return v;
        }
        throw typeError(fn, i, "array", a.get(i));
    }

    static Value.Obj obj(String fn, List<Value> a, int i) throws RegoException {
        if (a.get(i) instanceof Value.Obj v) {
            return v;
        }
        throw typeError(fn, i, "object", a.get(i));
    }

    static Value.SetV set(String fn, List<Value> a, int i) throws RegoException {
        if (a.get(i) instanceof Value.SetV v) {
            return v;
        }
        throw typeError(fn, i, "set", a.get(i));
    }

    static boolean bool(String fn, List<Value> a, int i) throws RegoException {
        if (a.get(i) instanceof Value.Bool v) {
            return v.value();
        }
        throw typeError(fn, i, "boolean", a.get(i));
    }

    /** Elements of an array or set operand. */
    static List<Value> collection(String fn, List<Value> a, int i) throws RegoException {
        return switch (a.get(i)) {
            case Value.Arr v -> v.items();
            case Value.SetV v -> List.copyOf(v.items());
            default -> throw typeError(fn, i, "array or set", a.get(i));
        };
    }
}
