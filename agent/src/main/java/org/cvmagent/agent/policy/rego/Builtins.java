package org.cvmagent.agent.policy.rego;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The builtin functions by name. Immutable once built; shared by all queries of a policy. */
final class Builtins {
    /** A builtin's implementation: returns null when the result is undefined. */
    interface Fn {
        Value apply(List<Value> args, Budget budget) throws RegoException;
    }

    record Builtin(String name, int arity, Fn fn) {
        Value call(List<Value> args, Budget budget) throws RegoException {
            return fn.apply(args, budget);
        }
    }

    private final Map<String, Builtin> byName = new HashMap<>();

    Builtins() {
        StringBuiltins.register(this);
        NumberBuiltins.register(this);
        CollectionBuiltins.register(this);
        EncodingBuiltins.register(this);
        TypeBuiltins.register(this);
        RegexBuiltins.register(this);
        JsonPatchBuiltin.register(this);
        TimeBuiltins.register(this);
        UnitsBuiltins.register(this);
        UuidBuiltins.register(this);
        GlobBuiltins.register(this);
        JsonFilterBuiltin.register(this);
        SemverBuiltins.register(this);
        NetBuiltins.register(this);
        ObjectExtraBuiltins.register(this);
        UrlQueryBuiltins.register(this);
        YamlBuiltins.register(this);
        GraphBuiltins.register(this);
        PatternBuiltins.register(this);
        JsonSchemaBuiltins.register(this);
        MiscBuiltins.register(this);
    }

    void add(String name, int arity, Fn fn) {
        byName.put(name, new Builtin(name, arity, fn));
    }

    Builtin get(String name) {
        return byName.get(name);
    }
}
