package org.cvmagent.agent.policy.rego;

/**
 * Variable bindings as a persistent linked list: binding never mutates, so backtracking is just
 * dropping the newer head. Carries the module whose names the body resolves against.
 */
final class Env {
    /** Marks a variable declared (some, :=, function parameter) but not yet bound. */
    static final Value UNBOUND = new Value.Str("\u0000unbound");

    private final String name;
    private final Value value;
    private final Env parent;
    private final Ast.Module module;

    private Env(String name, Value value, Env parent, Ast.Module module) {
        this.name = name;
        this.value = value;
        this.parent = parent;
        this.module = module;
    }

    static Env root(Ast.Module module) {
        return new Env(null, null, null, module);
    }

    Env bind(String n, Value v) {
        return new Env(n, v, this, module);
    }

    /** The bound value, UNBOUND when declared only, or null when the name is not a local variable. */
    Value lookup(String n) {
        for (Env e = this; e != null; e = e.parent) {
            if (n.equals(e.name)) {
                return e.value;
            }
        }
        return null;
    }

    Ast.Module module() {
        return module;
    }
}
