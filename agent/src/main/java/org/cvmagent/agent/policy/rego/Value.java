package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;

/**
 * An immutable Rego value. Values are totally ordered as OPA orders them (null, boolean, number,
 * string, array, set, object: regorus's order, which its conformance cases expect) so sets and object keys can live in sorted collections; equality is
 * that ordering (numbers compare by value, 1 == 1.0).
 */
sealed interface Value extends Comparable<Value> {
    int rank();

    @Override
    default int compareTo(Value o) {
        return ValueOrder.compare(this, o);
    }

    record Null() implements Value {
        public int rank() { return 0; }
    }

    record Bool(boolean value) implements Value {
        public int rank() { return 1; }
    }

    record Num(BigDecimal value) implements Value {
        public int rank() { return 2; }

        @Override
        public boolean equals(Object o) {
            return o instanceof Num n && n.value.compareTo(value) == 0;
        }

        @Override
        public int hashCode() {
            return value.stripTrailingZeros().hashCode();
        }
    }

    record Str(String value) implements Value {
        public int rank() { return 3; }
    }

    /** Elements are never modified after construction. */
    record Arr(List<Value> items) implements Value {
        public int rank() { return 4; }
    }

    /** Entries are never modified after construction. */
    record Obj(NavigableMap<Value, Value> map) implements Value {
        public int rank() { return 6; }

        /** Both maps are sorted alike: compare entries pairwise rather than looking each key up in the other. */
        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof Obj x) || x.map.size() != map.size()) {
                return false;
            }
            java.util.Iterator<java.util.Map.Entry<Value, Value>> a = map.entrySet().iterator();
            java.util.Iterator<java.util.Map.Entry<Value, Value>> b = x.map.entrySet().iterator();
            while (a.hasNext()) {
                java.util.Map.Entry<Value, Value> ea = a.next();
                java.util.Map.Entry<Value, Value> eb = b.next();
                if (!ea.getKey().equals(eb.getKey()) || !ea.getValue().equals(eb.getValue())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return map.hashCode();
        }
    }

    /** Elements are never modified after construction. */
    record SetV(NavigableSet<Value> items) implements Value {
        public int rank() { return 5; }

        /** Both sets are sorted alike: compare elements pairwise rather than looking each up in the other. */
        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof SetV x) || x.items.size() != items.size()) {
                return false;
            }
            java.util.Iterator<Value> a = items.iterator();
            java.util.Iterator<Value> b = x.items.iterator();
            while (a.hasNext()) {
                if (!a.next().equals(b.next())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return items.hashCode();
        }
    }

    Null NULL = new Null();
    Bool TRUE = new Bool(true);
    Bool FALSE = new Bool(false);

    static Bool bool(boolean b) {
        return b ? TRUE : FALSE;
    }

    static Num num(long n) {
        if (n >= 0 && n < SmallNums.CACHED.length) {
            return SmallNums.CACHED[(int) n];
        }
        return new Num(BigDecimal.valueOf(n));
    }

    /** Shared values for small non-negative integers: array indexes and counts are built on every iteration. */
    final class SmallNums {
        static final Num[] CACHED = new Num[1024];

        static {
            for (int i = 0; i < CACHED.length; i++) {
                CACHED[i] = new Num(BigDecimal.valueOf(i));
            }
        }

        private SmallNums() {
        }
    }

    static Num num(BigDecimal n) {
        return new Num(n);
    }

    static Str str(String s) {
        return new Str(s);
    }
}
