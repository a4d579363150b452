package org.cvmagent.agent.policy.rego;

import java.util.List;

/** The syntax tree the parser builds and the evaluator walks. */
final class Ast {
    private Ast() {
    }

    /** Terms are the expressions of Rego; line/col point at their first token. */
    sealed interface Term permits Scalar, Var, Ref, ArrayLit, ObjectLit, SetLit, ArrayCompr, SetCompr, ObjectCompr,
            Call, Binary, Neg, In {
        int line();
    }

    record Scalar(Value value, int line) implements Term {
    }

    /** What a variable's name refers to when no local binding shadows it, in evalVar's order. */
    enum Global { INPUT, DATA, RULE, IMPORT, NONE }

    /**
     * A variable; wildcards `_` get unique names "_$n" at parse time. When a rule is laid out
     * ({@link Layout}), slot becomes its place in the rule's frame ({@link #WILDCARD} for every
     * wildcard, which is never bound) and global what the name means otherwise, with rule the rule
     * or package node of a RULE; until then slot is UNASSIGNED and global null.
     */
    record Var(String name, int line, int slot, Global global, RuleTree.Node rule) implements Term {
        static final int WILDCARD = 0;
        static final int UNASSIGNED = -1;

        Var(String name, int line) {
            this(name, line, name.startsWith("_$") ? WILDCARD : UNASSIGNED, null, null);
        }

        boolean wildcard() {
            return slot == WILDCARD;
        }
    }

    /** head followed by selectors; `.x` selectors are string scalars. */
    record Ref(Term head, List<Term> path, int line) implements Term {
    }

    record ArrayLit(List<Term> items, int line) implements Term {
    }

    record KV(Term key, Term value) {
    }

    record ObjectLit(List<KV> entries, int line) implements Term {
    }

    record SetLit(List<Term> items, int line) implements Term {
    }

    record ArrayCompr(Term head, List<Lit> body, int line) implements Term {
    }

    record SetCompr(Term head, List<Lit> body, int line) implements Term {
    }

    record ObjectCompr(Term key, Term value, List<Lit> body, int line) implements Term {
    }

    /**
     * A call of a builtin or a user function; name is dotted ("regex.match", "data.lib.f"). Laying
     * out the rule resolves fn, the user function the name refers to in the rule's module, and
     * builtin, the builtin of that name (null when none).
     */
    record Call(String name, List<Term> args, int line, RuleTree.Node fn, Builtins.Builtin builtin) implements Term {
        Call(String name, List<Term> args, int line) {
            this(name, args, line, null, null);
        }
    }

    /** op is one of = := == != < <= > >= + - * / % | & */
    record Binary(String op, Term left, Term right, int line) implements Term {
        /** Whether this is a unification or assignment (= or :=) rather than an operator with a value. */
        boolean unifies() {
            return op.equals("=") || op.equals(":=");
        }
    }

    record Neg(Term operand, int line) implements Term {
    }

    /** `value in coll` or `key, value in coll` (key null in the first form). */
    record In(Term key, Term value, Term coll, int line) implements Term {
    }

    /** The literals of a rule or comprehension body. */
    sealed interface Lit permits ExprLit, SomeDecl, SomeIn, Every {
        int line();
    }

    record With(Term target, Term value) {
    }

    /** direct: set when the rule is laid out, which variables direct evaluation of expr needs bound. */
    record ExprLit(Term expr, boolean negated, List<With> withs, int line, DirectNeeds direct) implements Lit {
        ExprLit(Term expr, boolean negated, List<With> withs, int line) {
            this(expr, negated, withs, line, null);
        }
    }

    /**
     * For an expression literal: the variables that must have values for a term to be evaluated
     * directly (without continuations), or null where its shape never allows that; whole is the
     * expression, left and right the sides of a unification or assignment.
     */
    record DirectNeeds(Var[] whole, Var[] left, Var[] right) {
    }

    /** slots: the frame slot of each of vars, null until the rule is laid out. */
    record SomeDecl(List<String> vars, int line, int[] slots) implements Lit {
        SomeDecl(List<String> vars, int line) {
            this(vars, line, null);
        }
    }

    record SomeIn(Term key, Term value, Term coll, int line) implements Lit {
    }

    record Every(Term key, Term value, Term domain, List<Lit> body, int line) implements Lit {
    }

    enum Kind { COMPLETE, PARTIAL_SET, PARTIAL_OBJECT, FUNCTION }

    /**
     * One rule definition. path is absolute (package + head). key is the set element or object key
     * of partial rules; value is the head value (true when absent); elseRule chains `else` branches.
     * mergeValues: a head like p[a][b] := v is the partial object p[a] := {b: v} whose values for
     * the same key merge. frameSize is the number of variable slots the rule (its else branches
     * included) needs, and plainParams whether its parameters are distinct plain variables (or _),
     * which take their arguments without unification; both set when {@link Layout} lays it out.
     */
    record Rule(List<String> path, Kind kind, List<Term> args, Term key, Term value, List<Lit> body, Rule elseRule,
            boolean isDefault, Module module, int line, boolean mergeValues, int frameSize, boolean plainParams) {
        Rule(List<String> path, Kind kind, List<Term> args, Term key, Term value, List<Lit> body, Rule elseRule,
                boolean isDefault, Module module, int line, boolean mergeValues) {
            this(path, kind, args, key, value, body, elseRule, isDefault, module, line, mergeValues, 0, false);
        }
    }

    /** A parsed module; imports map an alias to the absolute ref it stands for ("data.x.y", "input.z"). */
    record Module(List<String> pkg, java.util.Map<String, List<String>> imports, boolean v1, String file) {
    }
}
