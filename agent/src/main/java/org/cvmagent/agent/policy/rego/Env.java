package org.cvmagent.agent.policy.rego;

import java.util.Map;

/**
 * The variables of one rule evaluation (or query) as a frame of slots laid out by {@link Layout}.
 * Evaluation binds a slot, runs the continuation and puts the old value back when the
 * continuation returns (or throws), so at any point the frame holds exactly the bindings of the
 * search path being explored, as a persistent binding list would, without allocating per binding.
 * A frame belongs to one evaluation on one thread.
 */
final class Env {
    /** Marks a variable declared (some, :=, function parameter) but not yet bound. */
    static final Value UNBOUND = new Value.Str("\u0000unbound");

    private final Value[] slots;
    private final Ast.Module module;
    /** For query frames, whose results are read by variable name; null for rule frames. */
    private final Map<String, Integer> names;

    private Env(Value[] slots, Ast.Module module, Map<String, Integer> names) {
        this.slots = slots;
        this.module = module;
        this.names = names;
    }

    /** A fresh frame for one evaluation of a rule chain. */
    static Env of(Ast.Rule r) {
        return new Env(new Value[r.frameSize()], r.module(), null);
    }

    static Env query(Ast.Module module, int frameSize, Map<String, Integer> names) {
        return new Env(new Value[frameSize], module, names);
    }

    /** The bound value, UNBOUND when declared only, or null when the variable has no local binding. */
    Value get(int slot) {
        return slots[slot];
    }

    /** Binds a slot and answers what it held, for the caller to put back with {@link #reset}. */
    Value set(int slot, Value v) {
        Value old = slots[slot];
        slots[slot] = v;
        return old;
    }

    void reset(int slot, Value old) {
        slots[slot] = old;
    }

    /** All bindings, for undoing a group of bindings (a declaration pattern) at once. */
    Value[] save() {
        return slots.clone();
    }

    void restore(Value[] saved) {
        System.arraycopy(saved, 0, slots, 0, saved.length);
    }

    /** A copy that later bindings do not change, for query results collected during the search. */
    Env snapshot() {
        return new Env(slots.clone(), module, names);
    }

    /** A query variable's value by name (UNBOUND when declared only), or null. */
    Value lookup(String name) {
        Integer slot = names == null ? null : names.get(name);
        return slot == null ? null : slots[slot];
    }

    Ast.Module module() {
        return module;
    }
}
