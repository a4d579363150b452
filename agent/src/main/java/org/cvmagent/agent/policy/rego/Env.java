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
    /**
     * Two bits per name bound in this chain (by hash): most lookups are of names no local binds
     * (input, data, rules, functions), and the bit answers those without walking the list.
     */
    private final long names;

    private Env(String name, Value value, Env parent, Ast.Module module, long names) {
        this.name = name;
        this.value = value;
        this.parent = parent;
        this.module = module;
        this.names = names;
    }

    static Env root(Ast.Module module) {
        return new Env(null, null, null, module, 0L);
    }

    Env bind(String n, Value v) {
        return new Env(n, v, this, module, names | bit(n));
    }

    /** The bound value, UNBOUND when declared only, or null when the name is not a local variable. */
    Value lookup(String n) {
        long b = bit(n);
        if ((names & b) != b) {
            return null;
        }
        for (Env e = this; e != null; e = e.parent) {
            if (n.equals(e.name)) {
                return e.value;
            }
        }
        return null;
    }

    /** Two bits per name (a one-word Bloom filter): genpolicy's functions bind a few dozen names, where one bit per name answered "maybe" for most lookups. */
    private static long bit(String n) {
        int h = n.hashCode();
        h ^= h >>> 16;
        return (1L << (h & 63)) | (1L << ((h >>> 6) & 63));
    }

    Ast.Module module() {
        return module;
    }
}
