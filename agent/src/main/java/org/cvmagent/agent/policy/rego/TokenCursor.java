package org.cvmagent.agent.policy.rego;

import java.util.List;

/** A position in a module's tokens, with the look-ahead and matching a recursive-descent parser needs. */
class TokenCursor {
    final List<Token> toks;
    final String file;
    int p;

    TokenCursor(List<Token> toks, String file) {
        this.toks = toks;
        this.file = file;
    }

    Token peek() {
        return toks.get(p);
    }

    Token peek(int ahead) {
        return toks.get(Math.min(p + ahead, toks.size() - 1));
    }

    Token next() {
        Token t = toks.get(p);
        if (t.kind() != Token.Kind.EOF) {
            p++;
        }
        return t;
    }

    Token expect(String s) throws RegoException {
        Token t = next();
        if (!t.is(s) || t.kind() == Token.Kind.STRING) {
            throw error(t, "expected '" + s + "' but found '" + t.text() + "'");
        }
        return t;
    }

    boolean accept(String s) {
        if (peek().is(s) && peek().kind() != Token.Kind.STRING) {
            p++;
            return true;
        }
        return false;
    }

    /** True when the next token is punctuation s on the same line (binary operators and selectors). */
    boolean sameLine(String s) {
        Token t = peek();
        return t.kind() == Token.Kind.PUNCT && t.text().equals(s) && !t.newlineBefore();
    }

    boolean keyword(String s) {
        Token t = peek();
        return t.kind() == Token.Kind.IDENT && t.text().equals(s);
    }

    RegoException error(Token t, String msg) {
        return new RegoException(file + ":" + t.line() + ":" + t.col() + ": rego_parse_error: " + msg);
    }

    String ident() throws RegoException {
        Token t = next();
        if (t.kind() != Token.Kind.IDENT) {
            throw error(t, "expected identifier but found '" + t.text() + "'");
        }
        return t.text();
    }
}
