package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Checks a target's effect value against the effect's schema, with the semantics of regorus's
 * schema language: a typed subset of JSON Schema where each schema is a "type" (any, integer,
 * number, boolean, null, string, array, set, object), a "const", an "enum" or an "anyOf", and an
 * object allows properties it does not list unless "additionalProperties" is false. A schema is a
 * Rego object value, read from the target's definition.
 */
final class EffectSchema {
    private EffectSchema() {
    }

    /** True when schema has one of the shapes regorus's schema language accepts. */
    static boolean wellFormed(Value schema) {
        return schema instanceof Value.Obj o && (o.map().containsKey(Value.str("type"))
                || o.map().containsKey(Value.str("const")) || o.map().containsKey(Value.str("enum"))
                || o.map().containsKey(Value.str("anyOf")));
    }

    /** Throws when v does not fit schema; the message names the first mismatch and where it is. */
    static void validate(Value schema, Value v) throws RegoException {
        String problem = problem(schema, v, "");
        if (problem != null) {
            throw new RegoException(problem);
        }
    }

    private static String problem(Value schema, Value v, String path) {
        Map<Value, Value> s = ((Value.Obj) schema).map();
        Value c = s.get(Value.str("const"));
        if (c != null) {
            return c.equals(v) ? null : "Constant mismatch: expected " + Values.toDisplay(c) + at(path);
        }
        Value e = s.get(Value.str("enum"));
        if (e instanceof Value.Arr values) {
            return values.items().contains(v) ? null : "Enum mismatch: " + Values.toDisplay(v) + " not in "
                    + Values.toDisplay(e) + at(path);
        }
        Value any = s.get(Value.str("anyOf"));
        if (any instanceof Value.Arr options) {
            for (Value o : options.items()) {
                if (problem(o, v, path) == null) {
                    return null;
                }
            }
            return "No anyOf schema matches" + at(path);
        }
        String type = s.get(Value.str("type")) instanceof Value.Str t ? t.value() : "any";
        return switch (type) {
            case "any" -> null;
            case "boolean" -> v instanceof Value.Bool ? null : mismatch(type, v, path);
            case "null" -> v instanceof Value.Null ? null : mismatch(type, v, path);
            case "integer" -> v instanceof Value.Num n && Values.isInteger(n.value())
                    ? range(s, n.value(), path) : mismatch(type, v, path);
            case "number" -> v instanceof Value.Num n ? range(s, n.value(), path) : mismatch(type, v, path);
            case "string" -> v instanceof Value.Str str ? string(s, str.value(), path) : mismatch(type, v, path);
            case "array" -> v instanceof Value.Arr a ? items(s, a.items(), a.items().size(), path)
                    : mismatch(type, v, path);
            case "set" -> v instanceof Value.SetV set ? items(s, set.items(), set.items().size(), path)
                    : mismatch(type, v, path);
            case "object" -> v instanceof Value.Obj o ? object(s, o, path) : mismatch(type, v, path);
            default -> "Unsupported schema type " + type + at(path);
        };
    }

    private static String mismatch(String expected, Value v, String path) {
        return "Type mismatch: expected " + expected + ", got " + Values.typeName(v) + at(path);
    }

    private static String at(String path) {
        return path.isEmpty() ? "" : " at " + path;
    }

    private static String range(Map<Value, Value> s, BigDecimal n, String path) {
        if (s.get(Value.str("minimum")) instanceof Value.Num min && n.compareTo(min.value()) < 0
                || s.get(Value.str("maximum")) instanceof Value.Num max && n.compareTo(max.value()) > 0) {
            return "Value " + Values.numberText(n) + " out of range" + at(path);
        }
        return null;
    }

    private static String string(Map<Value, Value> s, String str, String path) {
        // regorus measures strings in UTF-8 bytes (Rust's str::len)
        int len = str.getBytes(StandardCharsets.UTF_8).length;
        if (s.get(Value.str("minLength")) instanceof Value.Num min && len < min.value().intValue()
                || s.get(Value.str("maxLength")) instanceof Value.Num max && len > max.value().intValue()) {
            return "String length " + len + " out of bounds" + at(path);
        }
        if (s.get(Value.str("pattern")) instanceof Value.Str p) {
            RustRegex re;
            try {
                re = RustRegex.compile(p.value());
            } catch (RustRegex.SyntaxError | IllegalStateException e) {
                return "Invalid pattern " + p.value() + ": " + e.getMessage();
            }
            if (!re.isMatch(str)) {
                return "String does not match pattern " + p.value() + at(path);
            }
        }
        return null;
    }

    private static String items(Map<Value, Value> s, Iterable<Value> items, int size, String path) {
        if (s.get(Value.str("minItems")) instanceof Value.Num min && size < min.value().intValue()
                || s.get(Value.str("maxItems")) instanceof Value.Num max && size > max.value().intValue()) {
            return "Size " + size + " out of bounds" + at(path);
        }
        Value itemSchema = s.get(Value.str("items"));
        if (itemSchema == null) {
            return null;
        }
        int i = 0;
        for (Value item : items) {
            String p = problem(itemSchema, item, path + "[" + i++ + "]");
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    private static String object(Map<Value, Value> s, Value.Obj o, String path) {
        if (s.get(Value.str("required")) instanceof Value.Arr required) {
            for (Value r : required.items()) {
                if (!o.map().containsKey(r)) {
                    return "Missing required property " + Values.toDisplay(r) + at(path);
                }
            }
        }
        Map<Value, Value> props = s.get(Value.str("properties")) instanceof Value.Obj p ? p.map() : Map.of();
        Value additional = s.get(Value.str("additionalProperties"));
        for (Map.Entry<Value, Value> entry : o.map().entrySet()) {
            if (!(entry.getKey() instanceof Value.Str key)) {
                return "Non-string key " + Values.toDisplay(entry.getKey()) + at(path);
            }
            String sub = path.isEmpty() ? key.value() : path + "." + key.value();
            Value propSchema = props.get(key);
            if (propSchema == null) {
                if (Value.FALSE.equals(additional)) {
                    return "Additional property " + key.value() + " not allowed" + at(path);
                }
                // absent or true: any value; a schema: values must fit it
                propSchema = additional instanceof Value.Obj ? additional : null;
            }
            String p = propSchema == null ? null : problem(propSchema, entry.getValue(), sub);
            if (p != null) {
                return p;
            }
        }
        return null;
    }
}
