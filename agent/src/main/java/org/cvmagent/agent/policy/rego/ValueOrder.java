package org.cvmagent.agent.policy.rego;

import java.util.Iterator;
import java.util.Map;

/** OPA's total order over values: by type rank first, then by content. */
final class ValueOrder {
    private ValueOrder() {
    }

    static int compare(Value a, Value b) {
        if (a == b) {
            return 0;
        }
        // object keys are nearly always strings: answer those without the rank switch
        if (a instanceof Value.Str x && b instanceof Value.Str y) {
            return x.value().compareTo(y.value());
        }
        int r = Integer.compare(a.rank(), b.rank());
        if (r != 0) {
            return r;
        }
        return switch (a) {
            case Value.Null n -> 0;
            case Value.Bool x -> Boolean.compare(x.value(), ((Value.Bool) b).value());
            case Value.Num x -> x.value().compareTo(((Value.Num) b).value());
            case Value.Str x -> x.value().compareTo(((Value.Str) b).value());
            case Value.Arr x -> compareIterables(x.items().iterator(), ((Value.Arr) b).items().iterator());
            case Value.SetV x -> compareIterables(x.items().iterator(), ((Value.SetV) b).items().iterator());
            case Value.Obj x -> compareObjects(x, (Value.Obj) b);
        };
    }

    private static int compareIterables(Iterator<Value> a, Iterator<Value> b) {
        while (a.hasNext() && b.hasNext()) {
            int c = compare(a.next(), b.next());
            if (c != 0) {
                return c;
            }
        }
        return Boolean.compare(a.hasNext(), b.hasNext());
    }

    private static int compareObjects(Value.Obj a, Value.Obj b) {
        Iterator<Map.Entry<Value, Value>> ia = a.map().entrySet().iterator();
        Iterator<Map.Entry<Value, Value>> ib = b.map().entrySet().iterator();
        while (ia.hasNext() && ib.hasNext()) {
            Map.Entry<Value, Value> ea = ia.next();
            Map.Entry<Value, Value> eb = ib.next();
            int c = compare(ea.getKey(), eb.getKey());
            if (c != 0) {
                return c;
            }
            c = compare(ea.getValue(), eb.getValue());
            if (c != 0) {
                return c;
            }
        }
        return Boolean.compare(ia.hasNext(), ib.hasNext());
    }
}
