package org.cvmagent.agent.policy.rego;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * OPA's compile-time rule that `:=` and `some` introduce a variable not seen before in the same
 * body (function parameters included); nested bodies are scopes of their own.
 */
final class DeclarationCheck {
    private DeclarationCheck() {
    }

    static void check(List<Ast.Lit> body, List<Ast.Term> params, String file) throws RegoException {
        Set<String> seen = new HashSet<>();
        params.forEach(p -> collect(p, seen));
        checkBody(body, seen, file);
    }

    private static void checkBody(List<Ast.Lit> body, Set<String> seen, String file) throws RegoException {
        for (Ast.Lit lit : body) {
            switch (lit) {
                case Ast.SomeDecl s -> {
                    for (String v : s.vars()) {
                        declare(v, seen, lit, file);
                        // `some x` followed by `x := ...` assigns the declared variable
                        seen.add(SOME_PREFIX + v);
                    }
                }
                case Ast.SomeIn s -> {
                    collect(s.coll(), seen);
                    Set<String> declared = new HashSet<>();
                    if (s.key() != null) {
                        collect(s.key(), declared);
                    }
                    collect(s.value(), declared);
                    for (String v : declared) {
                        declare(v, seen, lit, file);
                    }
                }
                case Ast.Every ev -> {
                    collect(ev.domain(), seen);
                    Set<String> inner = new HashSet<>();
                    checkBody(ev.body(), inner, file);
                }
                case Ast.ExprLit x -> {
                    if (x.expr() instanceof Ast.Binary b && b.op().equals(":=")) {
                        collect(b.right(), seen);
                        Set<String> declared = new HashSet<>();
                        collect(b.left(), declared);
                        for (String v : declared) {
                            declare(v, seen, lit, file);
                        }
                    } else {
                        collect(x.expr(), seen);
                    }
                    for (Ast.With w : x.withs()) {
                        collect(w.value(), seen);
                    }
                }
            }
        }
    }

    private static final String SOME_PREFIX = "some ";

    private static void declare(String v, Set<String> seen, Ast.Lit lit, String file) throws RegoException {
        if (seen.remove(SOME_PREFIX + v)) {
            return;
        }
        if (!seen.add(v)) {
            throw new RegoException(file + ":" + lit.line() + ": rego_compile_error: var `" + v
                    + "` used before definition below or assigned above");
        }
    }

    /** Variables a term mentions outside nested bodies. */
    private static void collect(Ast.Term t, Set<String> out) {
        switch (t) {
            case Ast.Var v -> {
                if (!v.wildcard()) {
                    out.add(v.name());
                }
            }
            case Ast.Ref r -> {
                collect(r.head(), out);
                r.path().forEach(p -> collect(p, out));
            }
            case Ast.ArrayLit a -> a.items().forEach(i -> collect(i, out));
            case Ast.SetLit a -> a.items().forEach(i -> collect(i, out));
            case Ast.ObjectLit o -> o.entries().forEach(kv -> {
                collect(kv.key(), out);
                collect(kv.value(), out);
            });
            case Ast.Call c -> c.args().forEach(a -> collect(a, out));
            case Ast.Binary b -> {
                collect(b.left(), out);
                collect(b.right(), out);
            }
            case Ast.Neg n -> collect(n.operand(), out);
            case Ast.In in -> {
                if (in.key() != null) {
                    collect(in.key(), out);
                }
                collect(in.value(), out);
                collect(in.coll(), out);
            }
            default -> {
            }
        }
    }
}
