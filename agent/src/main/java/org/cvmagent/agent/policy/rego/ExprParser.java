package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The expression grammar of Rego: literals (expressions, some, every, with), bodies, terms by
 * precedence, refs, calls, collections and comprehensions. {@link Parser} adds modules and rules.
 */
abstract class ExprParser extends TokenCursor {
    static final Set<String> RELATIONS = Set.of("==", "!=", "<", "<=", ">", ">=");

    int wildcards;
    /** Token span of the last parenthesised expression, to tell "(a & b) | c" from "a & b | c". */
    int parenOpen = -1;
    int parenClose = -1;
    /** Whether the module is Rego v1 (keywords, shadowing rules). */
    boolean v1;
    Ast.Module module;
    /** Whether `a or b` is regorus's operator (see {@link RegoOptions#orOperator}) rather than an identifier. */
    boolean orOperator;

    ExprParser(List<Token> toks, String file) {
        super(toks, file);
    }

    List<Ast.Lit> braceBody() throws RegoException {
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
                SomeInLiteralCheck.check(terms.get(terms.size() - 1), coll, this, t);
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
    Ast.Term keyValueMembership(Ast.Term first, Token t) throws RegoException {
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
    static String nonConstant(Ast.Term t) {
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

    static boolean bindable(Ast.Term t) {
        return switch (t) {
            case Ast.Var v -> true;
            case Ast.ArrayLit a -> a.items().stream().anyMatch(Parser::bindable);
            case Ast.ObjectLit o -> o.entries().stream().anyMatch(kv -> bindable(kv.value()));
            default -> false;
        };
    }

    // ---- expressions, lowest precedence first

    Ast.Term expr() throws RegoException {
        Ast.Term e = membership(false);
        // regorus's `or` extension: the loosest operator, left-associative
        while (orOperator && keyword("or")) {
            Token t = next();
            e = new Ast.Binary("or", e, membership(false), t.line());
        }
        return e;
    }

    Ast.Term membership(boolean noOr) throws RegoException {
        Ast.Term left = relation(noOr);
        while (keyword("in") && !peek().newlineBefore()) {
            Token t = next();
            left = new Ast.In(null, left, relation(noOr), t.line());
        }
        return left;
    }

    Ast.Term relation() throws RegoException {
        return relation(false);
    }

    Ast.Term relation(boolean noOr) throws RegoException {
        Ast.Term left = or(noOr);
        while (peek().kind() == Token.Kind.PUNCT && RELATIONS.contains(peek().text()) && !peek().newlineBefore()) {
            Token t = next();
            left = new Ast.Binary(t.text(), left, or(noOr), t.line());
        }
        return left;
    }

    Ast.Term or(boolean noOr) throws RegoException {
        Ast.Term left = and();
        while (!noOr && sameLine("|")) {
            Token t = next();
            left = new Ast.Binary("|", left, and(), t.line());
        }
        return left;
    }

    Ast.Term and() throws RegoException {
        Ast.Term left = arith();
        while (sameLine("&")) {
            Token t = next();
            left = new Ast.Binary("&", left, arith(), t.line());
        }
        return left;
    }

    Ast.Term arith() throws RegoException {
        Ast.Term left = factor();
        while (sameLine("+") || sameLine("-")) {
            Token t = next();
            left = new Ast.Binary(t.text(), left, factor(), t.line());
        }
        return left;
    }

    Ast.Term factor() throws RegoException {
        Ast.Term left = unary();
        while (sameLine("*") || sameLine("/") || sameLine("%")) {
            Token t = next();
            left = new Ast.Binary(t.text(), left, unary(), t.line());
        }
        return left;
    }

    Ast.Term unary() throws RegoException {
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

    Ast.Term primaryWithSelectors() throws RegoException {
        return selectors(primary());
    }

    Ast.Term selectors(Ast.Term head) throws RegoException {
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

    static boolean callable(Ast.Term head, List<Ast.Term> path) {
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

    static String callName(Ast.Term head, List<Ast.Term> path) {
        StringBuilder sb = new StringBuilder(((Ast.Var) head).name());
        for (Ast.Term t : path) {
            sb.append('.').append(((Value.Str) ((Ast.Scalar) t).value()).value());
        }
        return sb.toString();
    }

    Ast.Term primary() throws RegoException {
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

    Ast.Term braceTerm(Token t) throws RegoException {
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
    Ast.Term unionItemOrNull(int start, int wildcardsAtStart) {
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
    Ast.Term arrayComprehensionOrNull(Ast.Term first, Token open) {
        try {
            return new Ast.ArrayCompr(first, comprehensionBody("]"), open.line());
        } catch (RegoException e) {
            // the caller backtracks and parses an array literal instead; a genuine syntax error
            // resurfaces there
            return null;
        }
    }

    List<Ast.Lit> comprehensionBody(String close) throws RegoException {
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
