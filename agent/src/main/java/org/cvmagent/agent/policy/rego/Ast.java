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

    /** A variable; wildcards `_` get unique names "_$n" at parse time. */
    record Var(String name, int line) implements Term {
        boolean wildcard() {
            return name.startsWith("_$");
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

    /** A call of a builtin or a user function; name is dotted ("regex.match", "data.lib.f"). */
    record Call(String name, List<Term> args, int line) implements Term {
    }

    /** op is one of = := == != < <= > >= + - * / % | & */
    record Binary(String op, Term left, Term right, int line) implements Term {
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

    record ExprLit(Term expr, boolean negated, List<With> withs, int line) implements Lit {
    }

    record SomeDecl(List<String> vars, int line) implements Lit {
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
     * the same key merge.
     */
    record Rule(List<String> path, Kind kind, List<Term> args, Term key, Term value, List<Lit> body, Rule elseRule,
            boolean isDefault, Module module, int line, boolean mergeValues) {
    }

    /** A parsed module; imports map an alias to the absolute ref it stands for ("data.x.y", "input.z"). */
    record Module(List<String> pkg, java.util.Map<String, List<String>> imports, boolean v1, String file) {
    }
}
