package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;

/** Splits Rego source into tokens; string tokens carry their decoded text. */
final class Lexer {
    private static final String[] PUNCTS = {":=", "==", "!=", "<=", ">=", "{", "}", "[", "]", "(", ")", ".", ",",
        ";", ":", "=", "<", ">", "+", "-", "*", "/", "%", "|", "&"};

    private final String src;
    private final String file;
    private int pos;
    /**
     * Names and strings, each interned once: the policy's document keys and selectors then are the
     * very strings Jackson interns for the input's field names, so key lookups end at an identity
     * check; the map keeps the (costlier) interning to one call per distinct text.
     */
    private final java.util.Map<String, String> texts = new java.util.HashMap<>();
    private int line = 1;
    private int col = 1;

    private String interned(String text) {
        return texts.computeIfAbsent(text, String::intern);
    }

    Lexer(String src, String file) {
        this.src = src;
        this.file = file;
    }

    List<Token> tokens() throws RegoException {
        List<Token> out = new ArrayList<>();
        while (true) {
            boolean nl = skipSpace();
            int tl = line;
            int tc = col;
            if (pos >= src.length()) {
                out.add(new Token(Token.Kind.EOF, "<eof>", tl, tc, true));
                return out;
            }
            char c = src.charAt(pos);
            if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    advance();
                }
                out.add(new Token(Token.Kind.IDENT, interned(src.substring(start, pos)), tl, tc, nl));
            } else if (Character.isDigit(c)) {
                out.add(new Token(Token.Kind.NUMBER, number(), tl, tc, nl));
            } else if (c == '"') {
                out.add(new Token(Token.Kind.STRING, interned(string(tl, tc)), tl, tc, nl));
            } else if (c == '`') {
                advance();
                int start = pos;
                while (pos < src.length() && src.charAt(pos) != '`') {
                    advance();
                }
                if (pos >= src.length()) {
                    throw error(tl, tc, "unterminated raw string");
                }
                String s = src.substring(start, pos);
                advance();
                out.add(new Token(Token.Kind.STRING, s, tl, tc, nl));
            } else {
                String p = punct();
                if (p == null) {
                    throw error(tl, tc, "unexpected character '" + c + "'");
                }
                out.add(new Token(Token.Kind.PUNCT, p, tl, tc, nl));
            }
        }
    }

    private RegoException error(int l, int c, String msg) {
        return new RegoException(file + ":" + l + ":" + c + ": rego_parse_error: " + msg);
    }

    private void advance() {
        if (src.charAt(pos) == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        pos++;
    }

    /** Skips blanks and comments; says whether a line break was crossed. */
    private boolean skipSpace() {
        boolean nl = false;
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '\n') {
                nl = true;
                advance();
            } else if (Character.isWhitespace(c)) {
                advance();
            } else if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\n') {
                    advance();
                }
            } else {
                break;
            }
        }
        return nl;
    }

    private String number() {
        int start = pos;
        while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
            advance();
        }
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            advance();
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                advance();
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            int saveCol = col;
            advance();
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                advance();
            }
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    advance();
                }
            } else {
                pos = save;
                col = saveCol;
            }
        }
        return src.substring(start, pos);
    }

    private String string(int tl, int tc) throws RegoException {
        advance();
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length() || src.charAt(pos) == '\n') {
                throw error(tl, tc, "unterminated string");
            }
            char c = src.charAt(pos);
            advance();
            if (c == '"') {
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= src.length()) {
                throw error(tl, tc, "unterminated string");
            }
            char e = src.charAt(pos);
            advance();
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > src.length()) {
                        throw error(line, col, "bad unicode escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(src.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error(line, col, "bad unicode escape");
                    }
                    for (int i = 0; i < 4; i++) {
                        advance();
                    }
                }
                default -> throw error(line, col - 1, "invalid escape '\\" + e + "'");
            }
        }
    }

    private String punct() {
        for (String p : PUNCTS) {
            if (src.startsWith(p, pos)) {
                for (int i = 0; i < p.length(); i++) {
                    advance();
                }
                return p;
            }
        }
        return null;
    }
}
