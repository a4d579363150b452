package org.cvmagent.agent.policy.rego;

/** A lexical token; newlineBefore lets the parser end literals at line breaks as Rego does. */
record Token(Kind kind, String text, int line, int col, boolean newlineBefore) {
    enum Kind { IDENT, NUMBER, STRING, PUNCT, EOF }

    boolean is(String punctOrIdent) {
        return (kind == Kind.PUNCT || kind == Kind.IDENT) && text.equals(punctOrIdent);
    }

    String where() {
        return line + ":" + col;
    }
}
