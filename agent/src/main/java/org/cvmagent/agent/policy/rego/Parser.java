package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recursive-descent parser for Rego v0 (with future.keywords) and v1 modules: modules and rules; {@link ExprParser} parses their bodies. */
final class Parser extends ExprParser {
    /** Parsed module and its rules; target is the module's `__target__` (regorus's target extension), or null. */
    record Parsed(Ast.Module module, List<Ast.Rule> rules, String target) {
    }

    private boolean sawFuture;
    /** Whether `__target__ := "name"` after the imports declares a target (regorus's extension) rather than a rule. */
    private final boolean targets;

    private Parser(List<Token> toks, String file, boolean targets) {
        super(toks, file);
        this.targets = targets;
    }

    /** Parses a module with the language extensions options turn on. */
    static Parsed parseModule(String src, String file, RegoOptions options) throws RegoException {
        Parser ps = new Parser(new Lexer(src, file).tokens(), file, options.targets() != null);
        ps.orOperator = options.orOperator();
        return ps.module();
    }

    static Parsed parseModule(String src, String file) throws RegoException {
        return parseModule(src, file, RegoOptions.DEFAULT);
    }

    /** Parses a query (a body without braces), for tests that query expressions. */
    static List<Ast.Lit> parseQuery(String src) throws RegoException {
        Parser ps = new Parser(new Lexer(src, "query").tokens(), "query", false);
        ps.v1 = true;
        ps.module = new Ast.Module(List.of(), Map.of(), true, "query");
        List<Ast.Lit> lits = new ArrayList<>();
        while (ps.peek().kind() != Token.Kind.EOF) {
            lits.add(ps.literal());
            if (ps.peek().is(";")) {
                ps.next();
            } else if (ps.peek().kind() != Token.Kind.EOF && !ps.peek().newlineBefore()) {
                throw ps.error(ps.peek(), "unexpected " + ps.peek().text());
            }
        }
        return lits;
    }

    // ---- module level

    private Parsed module() throws RegoException {
        Token pk = peek();
        if (!keyword("package")) {
            throw error(pk, "expected 'package'");
        }
        next();
        List<String> pkg = new ArrayList<>(List.of("data"));
        pkg.add(ident());
        while (true) {
            if (sameLine(".")) {
                next();
                pkg.add(ident());
            } else if (sameLine("[")) {
                next();
                Token s = next();
                if (s.kind() != Token.Kind.STRING) {
                    throw error(s, "expected string in package path");
                }
                pkg.add(s.text());
                expect("]");
            } else {
                break;
            }
        }
        Map<String, List<String>> imports = new LinkedHashMap<>();
        while (keyword("import")) {
            Token it = next();
            List<String> path = new ArrayList<>();
            path.add(ident());
            while (sameLine(".") || sameLine("[")) {
                if (accept(".")) {
                    path.add(ident());
                } else {
                    next();
                    Token s = next();
                    if (s.kind() != Token.Kind.STRING) {
                        throw error(s, "expected string in import path");
                    }
                    path.add(s.text());
                    expect("]");
                }
            }
            String alias = null;
            if (keyword("as") && !peek().newlineBefore()) {
                next();
                alias = ident();
            }
            String root = path.get(0);
            if (root.equals("rego") && path.size() == 2 && path.get(1).equals("v1")) {
                if (v1 || sawFuture) {
                    throw error(it, "this import shadows previous import");
                }
                v1 = true;
            } else if (root.equals("future")) {
                if (v1) {
                    throw error(it, "this import shadows previous import");
                }
                sawFuture = true;
                if (path.size() < 2 || !path.get(1).equals("keywords")) {
                    throw error(it, "unknown future import");
                }
            } else if (root.equals("data") || root.equals("input")) {
                String name = alias != null ? alias : path.get(path.size() - 1);
                imports.put(name, List.copyOf(path));
            } else {
                throw error(it, "unexpected import path, must begin with one of: {data, future, input, rego}");
            }
        }
        String target = targets ? targetDeclaration() : null;
        module = new Ast.Module(List.copyOf(pkg), Map.copyOf(imports), v1, file);
        List<Ast.Rule> rules = new ArrayList<>();
        while (peek().kind() != Token.Kind.EOF) {
            rules.addAll(rule());
            if (targets && keyword("__target__")) {
                throw error(peek(), "__target__ must be defined before any rules");
            }
        }
        return new Parsed(module, rules, target);
    }

    /**
     * regorus's `__target__ := "name"`, only right after the imports: not a rule but the module's
     * target, and like regorus a module that names one is parsed as Rego v1.
     */
    private String targetDeclaration() throws RegoException {
        if (!keyword("__target__")) {
            return null;
        }
        next();
        if (!peek().is(":=") || peek().kind() == Token.Kind.STRING) {
            throw error(peek(), "expected ':=' after __target__");
        }
        next();
        Token name = next();
        if (name.kind() != Token.Kind.STRING) {
            throw error(name, "expected string literal");
        }
        v1 = true;
        return name.text();
    }

    private List<Ast.Rule> rule() throws RegoException {
        Token start = peek();
        boolean isDefault = false;
        if (keyword("default")) {
            next();
            isDefault = true;
        }
        if (peek().kind() != Token.Kind.IDENT) {
            throw error(peek(), "unexpected '" + peek().text() + "', expected a rule");
        }
        List<String> path = new ArrayList<>(module.pkg());
        path.add(ident());
        Ast.Term key = null;
        List<Ast.Term> extraKeys = new ArrayList<>();
        Ast.Kind kind = Ast.Kind.COMPLETE;
        List<Ast.Term> args = List.of();
        boolean lastViaDot = false;
        while (sameLine(".") || sameLine("[")) {
            lastViaDot = peek().is(".");
            if (accept(".")) {
                if (key != null) {
                    throw error(peek(), "rule head refs with variables in the middle are not supported");
                }
                path.add(ident());
            } else {
                next();
                Ast.Term k = expr();
                expect("]");
                boolean last = !sameLine("[") && !sameLine(".");
                // a constant string names a path segment (p["a"] := 1 is p.a := 1), except that a v0
                // head ending in p["a"] without a value, arguments or "contains" is the partial set rule containing "a"
                boolean setElement = last && !v1 && !assignmentFollows() && !keyword("contains") && !sameLine("(");
                if (key == null && k instanceof Ast.Scalar s && s.value() instanceof Value.Str str && !setElement) {
                    path.add(str.value());
                } else if (key == null) {
                    key = k;
                } else {
                    extraKeys.add(k);
                }
            }
        }
        if (sameLine("(")) {
            next();
            List<Ast.Term> as = new ArrayList<>();
            if (!accept(")")) {
                do {
                    as.add(expr());
                } while (accept(","));
                expect(")");
            }
            args = as;
            kind = Ast.Kind.FUNCTION;
        }
        Ast.Term value = null;
        boolean viaContains = false;
        if (keyword("contains")) {
            next();
            key = expr();
            kind = Ast.Kind.PARTIAL_SET;
            viaContains = true;
        } else if (key != null) {
            kind = Ast.Kind.PARTIAL_SET;
        }
        if (peek().is("=") || peek().is(":=")) {
            next();
            value = expr();
            if (kind == Ast.Kind.PARTIAL_SET) {
                kind = Ast.Kind.PARTIAL_OBJECT;
            }
        } else if (key != null && kind == Ast.Kind.PARTIAL_SET && v1 && !viaContains && extraKeys.isEmpty()) {
            if (!keyword("if")) {
                throw error(start, "`contains` keyword is required for partial set rules");
            }
            // v1 reads "p[k] if { ... }" as the object rule p[k] := true: sets need "contains"
            kind = Ast.Kind.PARTIAL_OBJECT;
            value = new Ast.Scalar(Value.TRUE, start.line());
        } else if (!v1 && key == null && kind == Ast.Kind.COMPLETE && lastViaDot
                && path.size() == module.pkg().size() + 2 && !isDefault) {
            // v0 keeps the old meaning of "p.q { ... }" without a value: the partial set p containing "q"
            key = new Ast.Scalar(Value.str(path.removeLast()), start.line());
            kind = Ast.Kind.PARTIAL_SET;
        }
        if (v1 && !isDefault && peek().is("{") && peek().kind() == Token.Kind.PUNCT) {
            throw error(peek(), "`if` keyword is required before rule body");
        }
        if (v1 && (path.get(module.pkg().size()).equals("input") || path.get(module.pkg().size()).equals("data"))) {
            throw error(start, path.get(module.pkg().size()) + " cannot be shadowed");
        }
        if (isDefault) {
            if (value == null) {
                throw error(start, "default rule must have a value");
            }
            String bad = nonConstant(value);
            if (bad != null) {
                throw error(start, "invalid `" + bad + "` in default value");
            }
            return List.of(new Ast.Rule(List.copyOf(path), kind, args, key, value, List.of(), null, true, module,
                    start.line(), false));
        }
        // a v0 set element head "r[\"s\"]" is a whole rule; like regorus, another may follow on the same line
        boolean bareSetElement = !v1 && kind == Ast.Kind.PARTIAL_SET && !viaContains && key instanceof Ast.Scalar;
        if (value == null && !viaContains && !bareSetElement && !keyword("if")
                && !(peek().is("{") && peek().kind() == Token.Kind.PUNCT)) {
            throw error(start, "rule must have a body or assignment");
        }
        List<Ast.Lit> body = ruleBody();
        DeclarationCheck.check(body, args, file);
        Ast.Rule elseRule = elseChain(path, kind, args);
        if (!extraKeys.isEmpty()) {
            Ast.Term v = value == null ? new Ast.Scalar(Value.TRUE, start.line()) : value;
            for (int i = extraKeys.size() - 1; i >= 0; i--) {
                v = new Ast.ObjectLit(List.of(new Ast.KV(extraKeys.get(i), v)), start.line());
            }
            return List.of(new Ast.Rule(List.copyOf(path), Ast.Kind.PARTIAL_OBJECT, args, key, v, body, elseRule, false,
                    module, start.line(), true));
        }
        return List.of(new Ast.Rule(List.copyOf(path), kind, args, key, value, body, elseRule, false, module,
                start.line(), false));
    }

    /** Whether the head goes on with a value assignment. */
    private boolean assignmentFollows() {
        return peek().is("=") || peek().is(":=");
    }

    private List<Ast.Lit> ruleBody() throws RegoException {
        if (keyword("if")) {
            next();
            if (peek().is("{") && peek().kind() == Token.Kind.PUNCT) {
                return comprehensionOrBraceBody();
            }
            return List.of(literal());
        }
        if (peek().is("{") && peek().kind() == Token.Kind.PUNCT) {
            return comprehensionOrBraceBody();
        }
        return List.of(new Ast.ExprLit(new Ast.Scalar(Value.TRUE, peek().line()), false, List.of(), peek().line()));
    }

    /**
     * A rule body; a body that is a whole set or object comprehension ("p if { x | some x in xs }") is,
     * as regorus reads it, that one expression.
     */
    private List<Ast.Lit> comprehensionOrBraceBody() throws RegoException {
        int start = p;
        int wildcardsAtStart = wildcards;
        try {
            Token open = next();
            Ast.Term t = braceTerm(open);
            boolean bodyEnds = peek().kind() == Token.Kind.EOF || peek().newlineBefore() || keyword("else");
            if ((t instanceof Ast.SetCompr || t instanceof Ast.ObjectCompr) && bodyEnds) {
                return List.of(new Ast.ExprLit(t, false, List.of(), open.line()));
            }
        } catch (RegoException e) {
            // not a comprehension: read it as a body below, where a genuine syntax error is reported
        }
        p = start;
        wildcards = wildcardsAtStart;
        return braceBody();
    }

    private Ast.Rule elseChain(List<String> path, Ast.Kind kind, List<Ast.Term> args) throws RegoException {
        if (!keyword("else")) {
            return null;
        }
        Token e = next();
        Ast.Term value = null;
        if (accept("=") || accept(":=")) {
            value = expr();
        }
        if (v1 && peek().is("{") && peek().kind() == Token.Kind.PUNCT) {
            throw error(peek(), "`if` keyword is required before rule body");
        }
        List<Ast.Lit> body = ruleBody();
        DeclarationCheck.check(body, args, file);
        Ast.Rule rest = elseChain(path, kind, args);
        return new Ast.Rule(List.copyOf(path), kind, args, null, value, body, rest, false, module, e.line(), false);
    }

}
