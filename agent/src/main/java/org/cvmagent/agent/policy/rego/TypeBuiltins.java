package org.cvmagent.agent.policy.rego;

/** Type predicates and type_name. */
final class TypeBuiltins {
    private TypeBuiltins() {
    }

    static void register(Builtins b) {
        b.add("is_string", 1, (a, bu) -> Value.bool(a.get(0) instanceof Value.Str));
        b.add("is_number", 1, (a, bu) -> Value.bool(a.get(0) instanceof Value.Num));
        b.add("is_boolean", 1, (a, bu) -> Value.bool(a.get(0) instanceof Value.Bool));
        b.add("is_array", 1, (a, bu) -> Value.bool(a.get(0) instanceof Value.Arr));
        b.add("is_object", 1, (a, bu) -> Value.bool(a.get(0) instanceof Value.Obj));
        b.add("is_set", 1, (a, bu) -> Value.bool(a.get(0) instanceof Value.SetV));
        b.add("is_null", 1, (a, bu) -> Value.bool(a.get(0) instanceof Value.Null));
        b.add("type_name", 1, (a, bu) -> Value.str(Values.typeName(a.get(0))));
    }
}
