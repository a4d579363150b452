package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Recursive-descent parser for Rego v0 (with future.keywords) and v1 modules. */
final class Parser {
    /** Parsed module and its rules; target is the module's `__target__` (regorus's target extension), or null. */
    record Parsed(Ast.Module module, List<Ast.Rule> rules, String target) {
    }

    private static final Set<String> RELATIONS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final List<Token> toks;
    private final String file;
    private int p;
    private int wildcards;
    /** Token span of the last parenthesised expression, to tell "(a & b) | c" from "a & b | c". */
    private int parenOpen = -1;
    private int parenClose = -1;
    private boolean v1;
    private boolean sawFuture;
    private Ast.Module module;
    /** Whether `__target__ := "name"` after the imports declares a target (regorus's extension) rather than a rule. */
    private final boolean targets;

    private Parser(List<Token> toks, String file, boolean targets) {
        this.toks = toks;
        this.file = file;
        this.targets = targets;
    }

    static Parsed parseModule(String src, String file) throws RegoException {
        return parseModule(src, file, false);
    }

    static Parsed parseModule(String src, String file, boolean targets) throws RegoException {
        Parser ps = new Parser(new Lexer(src, file).tokens(), file, targets);
        return ps.module();
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

    // ---- token helpers

    private Token peek() {
        return toks.get(p);
    }

    private Token peek(int ahead) {
        return toks.get(Math.min(p + ahead, toks.size() - 1));
    }

    private Token next() {
        Token t = toks.get(p);
        if (t.kind() != Token.Kind.EOF) {
            p++;
        }
        return t;
    }

    private Token expect(String s) throws RegoException {
        Token t = next();
        if (!t.is(s) || t.kind() == Token.Kind.STRING) {
            throw error(t, "expected '" + s + "' but found '" + t.text() + "'");
        }
        return t;
    }

    private boolean accept(String s) {
        if (peek().is(s) && peek().kind() != Token.Kind.STRING) {
            p++;
            return true;
        }
        return false;
    }

    /** True when the next token is punctuation s on the same line (binary operators and selectors). */
    private boolean sameLine(String s) {
        Token t = peek();
        return t.kind() == Token.Kind.PUNCT && t.text().equals(s) && !t.newlineBefore();
    }

    private boolean keyword(String s) {
        Token t = peek();
        return t.kind() == Token.Kind.IDENT && t.text().equals(s);
    }

    RegoException error(Token t, String msg) {
        return new RegoException(file + ":" + t.line() + ":" + t.col() + ": rego_parse_error: " + msg);
    }

    private String ident() throws RegoException {
        Token t = next();
        if (t.kind() != Token.Kind.IDENT) {
            throw error(t, "expected identifier but found '" + t.text() + "'");
        }
        return t.text();
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

    private List<Ast.Lit> braceBody() throws RegoException {
        expect("{");
        List<Ast.Lit> lits = new ArrayList<>();
        while (!peek().is("}") || peek().kind() != Token.Kind.PUNCT) {
            if (peek().kind() == Token.Kind.EOF) {
                throw error(peek(), "unexpected eof, expected '}'");
            }
            lits.add(literal());
            if (accept(";")) {
                continue;
            }
            if (!(peek().is("}") && peek().kind() == Token.Kind.PUNCT) && !peek().newlineBefore()) {
                throw error(peek(), "unexpected '" + peek().text() + "'");
            }
        }
        expect("}");
        if (lits.isEmpty()) {
            throw error(toks.get(p - 1), "found empty body");
        }
        return lits;
    }

    // ---- literals

    Ast.Lit literal() throws RegoException {
        Token t = peek();
        if (keyword("some") && !peek(1).is("(")) {
            next();
            List<Ast.Term> terms = new ArrayList<>();
            terms.add(relation());
            while (accept(",")) {
                terms.add(relation());
            }
            if (keyword("in")) {
                next();
                Ast.Term coll = relation();
                if (terms.size() > 2) {
                    throw error(t, "too many terms before 'in'");
                }
                return terms.size() == 1 ? new Ast.SomeIn(null, terms.get(0), coll, t.line())
                        : new Ast.SomeIn(terms.get(0), terms.get(1), coll, t.line());
            }
            List<String> vars = new ArrayList<>();
            for (Ast.Term v : terms) {
                if (!(v instanceof Ast.Var var)) {
                    throw error(t, "expected variable in some declaration");
                }
                vars.add(var.name());
            }
            return new Ast.SomeDecl(vars, t.line());
        }
        if (keyword("every")) {
            next();
            Ast.Term a = relation();
            Ast.Term b = null;
            if (accept(",")) {
                b = relation();
            }
            if (!keyword("in")) {
                throw error(peek(), "expected 'in' in every");
            }
            next();
            Ast.Term dom = relation();
            List<Ast.Lit> body = braceBody();
            return b == null ? new Ast.Every(null, a, dom, body, t.line()) : new Ast.Every(a, b, dom, body, t.line());
        }
        boolean negated = false;
        if (keyword("not")) {
            next();
            negated = true;
        }
        Ast.Term e = negated ? expr() : keyValueMembership(expr(), t);
        if (peek().is("=") || peek().is(":=")) {
            String op = next().text();
            // regorus also takes "b := k, v in xs": the assigned value is the membership test
            Ast.Term rhs = keyValueMembership(expr(), t);
            if (v1 && op.equals(":=") && e instanceof Ast.Var v && (v.name().equals("input") || v.name().equals("data"))) {
                throw error(t, v.name() + " cannot be shadowed");
            }
            if (op.equals(":=") && !bindable(e)) {
                throw error(t, "assignment operator := requires left-hand side to have bindable variables");
            }
            e = new Ast.Binary(op, e, rhs, t.line());
        }
        List<Ast.With> withs = new ArrayList<>();
        while (keyword("with")) {
            next();
            Ast.Term target = primaryWithSelectors();
            if (!keyword("as")) {
                throw error(peek(), "expected 'as'");
            }
            next();
            withs.add(new Ast.With(target, expr()));
        }
        return new Ast.ExprLit(e, negated, List.copyOf(withs), t.line());
    }

    /** "k, v in coll" when a comma follows the expression first, which is then the key; otherwise first. */
    private Ast.Term keyValueMembership(Ast.Term first, Token t) throws RegoException {
        if (!peek().is(",") || peek().kind() != Token.Kind.PUNCT) {
            return first;
        }
        next();
        Ast.Term v = relation();
        if (!keyword("in")) {
            throw error(peek(), "expected 'in'");
        }
        next();
        return new Ast.In(first, v, relation(), t.line());
    }

    /** What makes a default value non-constant (OPA wants a value known without evaluation), or null. */
    private static String nonConstant(Ast.Term t) {
        return switch (t) {
            case Ast.Scalar s -> null;
            case Ast.Ref r -> "ref";
            case Ast.Var v -> "var";
            case Ast.Binary b -> switch (b.op()) {
                case "+", "-", "*", "/", "%" -> "arithexpr";
                case "|", "&" -> "binexpr";
                default -> "boolexpr";
            };
            case Ast.In in -> "membership";
            case Ast.Neg n -> "arithexpr";
            case Ast.Call c -> null;
            case Ast.ArrayLit a -> a.items().stream().map(Parser::nonConstant).filter(x -> x != null).findFirst()
                    .orElse(null);
            case Ast.SetLit a -> a.items().stream().map(Parser::nonConstant).filter(x -> x != null).findFirst()
                    .orElse(null);
            case Ast.ObjectLit o -> o.entries().stream().map(kv -> nonConstant(kv.value())).filter(x -> x != null)
                    .findFirst().orElse(null);
            default -> null;
        };
    }

    private static boolean bindable(Ast.Term t) {
        return switch (t) {
            case Ast.Var v -> true;
            case Ast.ArrayLit a -> a.items().stream().anyMatch(Parser::bindable);
            case Ast.ObjectLit o -> o.entries().stream().anyMatch(kv -> bindable(kv.value()));
            default -> false;
        };
    }

    // ---- expressions, lowest precedence first

    Ast.Term expr() throws RegoException {
        return membership(false);
    }

    private Ast.Term membership(boolean noOr) throws RegoException {
        Ast.Term left = relation(noOr);
        while (keyword("in") && !peek().newlineBefore()) {
            Token t = next();
            left = new Ast.In(null, left, relation(noOr), t.line());
        }
        return left;
    }

    private Ast.Term relation() throws RegoException {
        return relation(false);
    }

    private Ast.Term relation(boolean noOr) throws RegoException {
        Ast.Term left = or(noOr);
        while (peek().kind() == Token.Kind.PUNCT && RELATIONS.contains(peek().text()) && !peek().newlineBefore()) {
            Token t = next();
            left = new Ast.Binary(t.text(), left, or(noOr), t.line());
        }
        return left;
    }

    private Ast.Term or(boolean noOr) throws RegoException {
        Ast.Term left = and();
        while (!noOr && sameLine("|")) {
            Token t = next();
            left = new Ast.Binary("|", left, and(), t.line());
        }
        return left;
    }

    private Ast.Term and() throws RegoException {
        Ast.Term left = arith();
        while (sameLine("&")) {
            Token t = next();
            left = new Ast.Binary("&", left, arith(), t.line());
        }
        return left;
    }

    private Ast.Term arith() throws RegoException {
        Ast.Term left = factor();
        while (sameLine("+") || sameLine("-")) {
            Token t = next();
            left = new Ast.Binary(t.text(), left, factor(), t.line());
        }
        return left;
    }

    private Ast.Term factor() throws RegoException {
        Ast.Term left = unary();
        while (sameLine("*") || sameLine("/") || sameLine("%")) {
            Token t = next();
            left = new Ast.Binary(t.text(), left, unary(), t.line());
        }
        return left;
    }

    private Ast.Term unary() throws RegoException {
        if (peek().is("-") && peek().kind() == Token.Kind.PUNCT) {
            Token t = next();
            if (peek().kind() == Token.Kind.NUMBER) {
                Token n = next();
                return selectors(new Ast.Scalar(Value.num(new BigDecimal("-" + n.text())), t.line()));
            }
            throw error(t, "unary - can only be used with numeric literals");
        }
        return primaryWithSelectors();
    }

    private Ast.Term primaryWithSelectors() throws RegoException {
        return selectors(primary());
    }

    private Ast.Term selectors(Ast.Term head) throws RegoException {
        List<Ast.Term> path = new ArrayList<>();
        while (true) {
            if (sameLine(".")) {
                next();
                Token t = next();
                if (t.newlineBefore()) {
                    throw error(t, "invalid whitespace between . and identifier");
                }
                if (t.kind() != Token.Kind.IDENT) {
                    throw error(t, "expected identifier after '.'");
                }
                path.add(new Ast.Scalar(Value.str(t.text()), t.line()));
            } else if (sameLine("[")) {
                next();
                path.add(expr());
                expect("]");
            } else if (sameLine("(") && callable(head, path)) {
                Token t = next();
                String name = callName(head, path);
                if (name.equals("set") && accept(")")) {
                    head = new Ast.SetLit(List.of(), t.line());
                    path = new ArrayList<>();
                    continue;
                }
                List<Ast.Term> args = new ArrayList<>();
                if (!accept(")")) {
                    do {
                        args.add(expr());
                    } while (accept(","));
                    expect(")");
                }
                head = new Ast.Call(name, List.copyOf(args), t.line());
                path = new ArrayList<>();
            } else {
                break;
            }
        }
        return path.isEmpty() ? head : new Ast.Ref(head, List.copyOf(path), head.line());
    }

    private static boolean callable(Ast.Term head, List<Ast.Term> path) {
        if (!(head instanceof Ast.Var)) {
            return false;
        }
        for (Ast.Term t : path) {
            if (!(t instanceof Ast.Scalar s && s.value() instanceof Value.Str)) {
                return false;
            }
        }
        return true;
    }

    private static String callName(Ast.Term head, List<Ast.Term> path) {
        StringBuilder sb = new StringBuilder(((Ast.Var) head).name());
        for (Ast.Term t : path) {
            sb.append('.').append(((Value.Str) ((Ast.Scalar) t).value()).value());
        }
        return sb.toString();
    }

    private Ast.Term primary() throws RegoException {
        Token t = next();
        switch (t.kind()) {
            case NUMBER -> {
                return new Ast.Scalar(Value.num(new BigDecimal(t.text())), t.line());
            }
            case STRING -> {
                return new Ast.Scalar(Value.str(t.text()), t.line());
            }
            case IDENT -> {
                return switch (t.text()) {
                    case "true" -> new Ast.Scalar(Value.TRUE, t.line());
                    case "false" -> new Ast.Scalar(Value.FALSE, t.line());
                    case "null" -> new Ast.Scalar(Value.NULL, t.line());
                    case "_" -> new Ast.Var("_$" + (wildcards++), t.line());
                    default -> new Ast.Var(t.text(), t.line());
                };
            }
            case EOF -> throw error(t, "unexpected eof");
            default -> {
            }
        }
        switch (t.text()) {
            case "(" -> {
                int open = p - 1;
                Ast.Term e = expr();
                expect(")");
                parenOpen = open;
                parenClose = p;
                return e;
            }
            case "[" -> {
                if (accept("]")) {
                    return new Ast.ArrayLit(List.of(), t.line());
                }
                int start = p;
                int wildcardsAtStart = wildcards;
                Ast.Term first = membership(true);
                if (sameLine("|") && first instanceof Ast.Binary && !(parenOpen == start && parenClose == p)) {
                    // regorus reads "[a & b | c]" as the array of the union (a & b) | c; only a simple or
                    // parenthesised first term starts a comprehension (unless no array parses, as in
                    // "[x * 2 | x := xs[_]]")
                    Ast.Term union = unionItemOrNull(start, wildcardsAtStart);
                    if (union != null) {
                        first = union;
                    }
                }
                if (accept("|")) {
                    Ast.Term compr = arrayComprehensionOrNull(first, t);
                    if (compr != null) {
                        return compr;
                    }
                    // not a comprehension body (as in "[x | y, 5]"): read it again as an array whose
                    // first item is the union "x | y"
                    p = start;
                    wildcards = wildcardsAtStart;
                    first = expr();
                }
                List<Ast.Term> items = new ArrayList<>(List.of(first));
                while (accept(",")) {
                    if (peek().is("]")) {
                        break;
                    }
                    items.add(expr());
                }
                expect("]");
                return Folding.array(List.copyOf(items), t.line());
            }
            case "{" -> {
                return braceTerm(t);
            }
            default -> throw error(t, "unexpected '" + t.text() + "'");
        }
    }

    private Ast.Term braceTerm(Token t) throws RegoException {
        if (accept("}")) {
            return new Ast.ObjectLit(List.of(), t.line());
        }
        Ast.Term first = membership(true);
        if (accept(":")) {
            Ast.Term v = membership(true);
            if (accept("|")) {
                return new Ast.ObjectCompr(first, v, comprehensionBody("}"), t.line());
            }
            List<Ast.KV> entries = new ArrayList<>(List.of(new Ast.KV(first, v)));
            while (accept(",")) {
                if (peek().is("}")) {
                    break;
                }
                Ast.Term k = expr();
                expect(":");
                entries.add(new Ast.KV(k, expr()));
            }
            expect("}");
            return Folding.object(List.copyOf(entries), t.line());
        }
        if (accept("|")) {
            return new Ast.SetCompr(first, comprehensionBody("}"), t.line());
        }
        List<Ast.Term> items = new ArrayList<>(List.of(first));
        while (accept(",")) {
            if (peek().is("}")) {
                break;
            }
            items.add(expr());
        }
        expect("}");
        return Folding.set(List.copyOf(items), t.line());
    }

    /**
     * The array item starting at token start read as a whole expression, when an item separator or the
     * closing bracket follows it; otherwise null with the position unchanged.
     */
    private Ast.Term unionItemOrNull(int start, int wildcardsAtStart) {
        int after = p;
        int wildcardsAfter = wildcards;
        p = start;
        wildcards = wildcardsAtStart;
        try {
            Ast.Term item = expr();
            if (peek().kind() == Token.Kind.PUNCT && (peek().is(",") || peek().is("]"))) {
                return item;
            }
        } catch (RegoException e) {
            // not an array item: the caller goes on with the comprehension reading
        }
        p = after;
        wildcards = wildcardsAfter;
        return null;
    }

    /** The comprehension after "[first |", or null when what follows does not parse as its body. */
    private Ast.Term arrayComprehensionOrNull(Ast.Term first, Token open) {
        try {
            return new Ast.ArrayCompr(first, comprehensionBody("]"), open.line());
        } catch (RegoException e) {
            // the caller backtracks and parses an array literal instead; a genuine syntax error
            // resurfaces there
            return null;
        }
    }

    private List<Ast.Lit> comprehensionBody(String close) throws RegoException {
        List<Ast.Lit> lits = new ArrayList<>();
        while (!(peek().is(close) && peek().kind() == Token.Kind.PUNCT)) {
            if (peek().kind() == Token.Kind.EOF) {
                throw error(peek(), "unexpected eof in comprehension");
            }
            lits.add(literal());
            if (accept(";")) {
                continue;
            }
            if (!(peek().is(close) && peek().kind() == Token.Kind.PUNCT) && !peek().newlineBefore()) {
                throw error(peek(), "unexpected '" + peek().text() + "'");
            }
        }
        expect(close);
        return lits;
    }
}
