package org.cvmagent.agent.policy.rego;

import java.util.List;

/**
 * OPA's compile-time rule that every call names a function: a user function the module can see, a
 * builtin, or print/walk. A policy calling anything else does not compile, whether or not the
 * call would ever be evaluated. Runs on laid-out rules, whose calls carry what they resolved to.
 */
final class CallCheck {
    private CallCheck() {
    }

    /** The check's failure, carried out of RuleTree.layOut's operator (which cannot throw RegoException). */
    static final class Failed extends RuntimeException {
        final RegoException error;

        Failed(RegoException error) {
            super(error.getMessage(), error, false, false);
            this.error = error;
        }
    }

    /** Returns r, or throws Failed for its first call of an unknown function. */
    static Ast.Rule check(Ast.Rule r) {
        for (Ast.Rule x = r; x != null; x = x.elseRule()) {
            String file = x.module() == null ? "" : x.module().file() + ":";
            terms(x.args(), file);
            term(x.key(), file);
            term(x.value(), file);
            body(x.body(), file);
        }
        return r;
    }

    private static void body(List<Ast.Lit> body, String file) {
        if (body == null) {
            return;
        }
        for (Ast.Lit lit : body) {
            switch (lit) {
                case Ast.ExprLit x -> {
                    term(x.expr(), file);
                    for (Ast.With w : x.withs()) {
                        term(w.value(), file);
                    }
                }
                case Ast.SomeDecl s -> {
                }
                case Ast.SomeIn s -> {
                    term(s.key(), file);
                    term(s.value(), file);
                    term(s.coll(), file);
                }
                case Ast.Every ev -> {
                    term(ev.domain(), file);
                    body(ev.body(), file);
                }
            }
        }
    }

    private static void terms(List<Ast.Term> ts, String file) {
        if (ts != null) {
            ts.forEach(t -> term(t, file));
        }
    }

    private static void term(Ast.Term t, String file) {
        if (t == null) {
            return;
        }
        switch (t) {
            case Ast.Call c -> {
                if (c.fn() == null && c.builtin() == null && !c.name().equals("print") && !c.name().equals("walk")) {
                    throw new Failed(new RegoException(file + c.line() + ": rego_type_error: undefined function "
                            + c.name()));
                }
                terms(c.args(), file);
            }
            case Ast.Ref r -> {
                term(r.head(), file);
                terms(r.path(), file);
            }
            case Ast.ArrayLit a -> terms(a.items(), file);
            case Ast.SetLit a -> terms(a.items(), file);
            case Ast.ObjectLit o -> o.entries().forEach(kv -> {
                term(kv.key(), file);
                term(kv.value(), file);
            });
            case Ast.ArrayCompr c -> {
                term(c.head(), file);
                body(c.body(), file);
            }
            case Ast.SetCompr c -> {
                term(c.head(), file);
                body(c.body(), file);
            }
            case Ast.ObjectCompr c -> {
                term(c.key(), file);
                term(c.value(), file);
                body(c.body(), file);
            }
            case Ast.Binary b -> {
                term(b.left(), file);
                term(b.right(), file);
            }
            case Ast.Neg n -> term(n.operand(), file);
            case Ast.In in -> {
                term(in.key(), file);
                term(in.value(), file);
                term(in.coll(), file);
            }
            default -> {
            }
        }
    }
}
