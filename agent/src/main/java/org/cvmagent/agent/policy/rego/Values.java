package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** Conversions between values and JSON, and the text forms OPA gives values. */
final class Values {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Values() {
    }

    /**
     * The input and data of every query pass through here: one switch on the node type, with
     * each kind in a method of its own, keeps the recursion small for the JIT.
     */
    static Value fromJson(JsonNode n) {
        if (n == null) {
            return Value.NULL;
        }
        return switch (n.getNodeType()) {
            case OBJECT -> objectFromJson(n);
            case STRING -> new Value.Str(n.textValue());
            case ARRAY -> arrayFromJson(n);
            case NUMBER -> numberFromJson(n);
            case BOOLEAN -> Value.bool(n.booleanValue());
            case NULL, MISSING -> Value.NULL;
            // binary and POJO nodes have no fields: an empty object, as before
            default -> objectFromJson(n);
        };
    }

    private static Value numberFromJson(JsonNode n) {
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return Value.num(n.longValue());
        }
        return new Value.Num(n.isIntegralNumber() ? new BigDecimal(n.bigIntegerValue()) : n.decimalValue());
    }

    private static Value arrayFromJson(JsonNode n) {
        List<Value> items = new ArrayList<>(n.size());
        for (JsonNode e : n) {
            items.add(fromJson(e));
        }
        return arr(items);
    }

    private static Value objectFromJson(JsonNode n) {
        TreeMap<Value, Value> m = new IndexedMap();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(new Value.Str(e.getKey()), fromJson(e.getValue()));
        }
        return obj(m);
    }

    /** Sets become arrays in their sorted order; non-string object keys become their JSON text. */
    static JsonNode toJson(Value v) {
        return switch (v) {
            case Value.Null n -> NODES.nullNode();
            case Value.Bool b -> NODES.booleanNode(b.value());
            case Value.Num n -> numberNode(n.value());
            case Value.Str s -> NODES.textNode(s.value());
            case Value.Arr a -> {
                ArrayNode out = NODES.arrayNode();
                a.items().forEach(e -> out.add(toJson(e)));
                yield out;
            }
            case Value.SetV s -> {
                ArrayNode out = NODES.arrayNode();
                s.items().forEach(e -> out.add(toJson(e)));
                yield out;
            }
            case Value.Obj o -> {
                ObjectNode out = NODES.objectNode();
                o.map().forEach((k, val) -> out.set(k instanceof Value.Str s ? s.value() : toJsonText(k), toJson(val)));
                yield out;
            }
        };
    }

    private static JsonNode numberNode(BigDecimal d) {
        if (isInteger(d)) {
            BigInteger i = d.toBigIntegerExact();
            // the narrowest node, as Jackson's own parser would produce, so results equal parsed JSON
            if (i.bitLength() < 32) {
                return NODES.numberNode(i.intValue());
            }
            return i.bitLength() < 64 ? NODES.numberNode(i.longValue()) : NODES.numberNode(i);
        }
        double dv = d.doubleValue();
        if (!Double.isInfinite(dv) && BigDecimal.valueOf(dv).compareTo(d) == 0) {
            return NODES.numberNode(dv);
        }
        return NODES.numberNode(d);
    }

    static boolean isInteger(BigDecimal d) {
        return d.signum() == 0 || d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0;
    }

    static Value.Arr arr(List<Value> items) {
        return new Value.Arr(Collections.unmodifiableList(items));
    }

    static Value.Obj obj(NavigableMap<Value, Value> m) {
        return new Value.Obj(Collections.unmodifiableNavigableMap(m));
    }

    static Value.SetV set(NavigableSet<Value> s) {
        return new Value.SetV(Collections.unmodifiableNavigableSet(s));
    }

    static final Value.Arr EMPTY_ARR = arr(List.of());
    static final Value.Obj EMPTY_OBJ = obj(new TreeMap<>());
    static final Value.SetV EMPTY_SET = set(new TreeSet<>());

    static String typeName(Value v) {
        return switch (v) {
            case Value.Null n -> "null";
            case Value.Bool b -> "boolean";
            case Value.Num n -> "number";
            case Value.Str s -> "string";
            case Value.Arr a -> "array";
            case Value.Obj o -> "object";
            case Value.SetV s -> "set";
        };
    }

    /** Compact JSON, as json.marshal writes it. Sets are written as arrays. */
    static String toJsonText(Value v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, false, false);
        return sb.toString();
    }

    /** The text print() and sprintf("%v") give a value: strings bare at the top, sets as {..}. */
    static String toDisplay(Value v) {
        if (v instanceof Value.Str s) {
            return s.value();
        }
        StringBuilder sb = new StringBuilder();
        write(sb, v, true, true);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Value v, boolean spaced, boolean setBraces) {
        switch (v) {
            case Value.Null n -> sb.append("null");
            case Value.Bool b -> sb.append(b.value());
            case Value.Num n -> sb.append(numberText(n.value()));
            case Value.Str s -> quote(sb, s.value());
            case Value.Arr a -> writeSeq(sb, a.items(), "[", "]", spaced, setBraces);
            case Value.SetV s -> {
                if (setBraces && s.items().isEmpty()) {
                    sb.append("set()");
                } else {
                    writeSeq(sb, s.items(), setBraces ? "{" : "[", setBraces ? "}" : "]", spaced, setBraces);
                }
            }
            case Value.Obj o -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<Value, Value> e : o.map().entrySet()) {
                    if (!first) {
                        sb.append(spaced ? ", " : ",");
                    }
                    first = false;
                    if (e.getKey() instanceof Value.Str ks) {
                        quote(sb, ks.value());
                    } else if (setBraces) {
                        write(sb, e.getKey(), spaced, true);
                    } else {
                        quote(sb, toJsonText(e.getKey()));
                    }
                    sb.append(spaced ? ": " : ":");
                    write(sb, e.getValue(), spaced, setBraces);
                }
                sb.append('}');
            }
        }
    }

    private static void writeSeq(StringBuilder sb, Iterable<Value> items, String open, String close,
            boolean spaced, boolean setBraces) {
        sb.append(open);
        boolean first = true;
        for (Value e : items) {
            if (!first) {
                sb.append(spaced ? ", " : ",");
            }
            first = false;
            write(sb, e, spaced, setBraces);
        }
        sb.append(close);
    }

    static String numberText(BigDecimal d) {
        if (isInteger(d)) {
            return d.toBigIntegerExact().toString();
        }
        return d.stripTrailingZeros().toPlainString();
    }

    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
