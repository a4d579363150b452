package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A regular expression with the syntax and meaning of Rust's regex crate under its default flags,
 * which is what regorus (and so kata-agent) uses, run on re2j, a linear-time RE2 engine for Java.
 *
 * <p>re2j speaks Go's RE2 syntax, whose meaning differs from Rust's in places that matter for a
 * policy over host-supplied strings. The pattern is therefore parsed here with Rust's grammar
 * (regex-syntax, as of regex 1.10 and later) and written out again as an explicit re2j pattern:
 * <ul>
 * <li>{@code $} and {@code ^} without (?m) become {@code \z} and {@code \A}: end and start of text
 * only. (java.util.regex let {@code $} match before a final line terminator: a policy bypass.)
 * <li>{@code \d}, {@code \w}, {@code \s} are Unicode-aware in Rust (Nd; Alphabetic, M, Nd, Pc,
 * Join_Control; White_Space) but ASCII in Go: every class, including {@code .} (anything but
 * {@code \n}), is computed here as an explicit code point set ({@link CharSet}, from the JDK's
 * Unicode tables) and emitted as ranges, with Rust's case folding applied before negation and with
 * Rust's class set operations ({@code &&}, {@code --}, {@code ~~}, nested classes).
 * <li>Rust-only syntax is translated: {@code (?<name>)} and {@code (?P<name>)} names with Rust's
 * name rules, the long hex escapes (backslash u, backslash U), the {@code x} and {@code R} flags, stacked repetitions
 * ({@code a**}), counts above re2j's 1000, {@code \p{...}} names matched loosely.
 * <li>What Go accepts but Rust rejects is rejected: {@code \Q..\E}, {@code \C}, octal and
 * back-reference escapes, {@code \Z}, {@code x{,n}}, {@code a{} }, a lone {@code {}, empty flags
 * {@code (?)}, unknown escapes of letters, {@code \<} as a literal (it is a word start in Rust).
 * <li>Rust's word boundaries are Unicode-aware; re2j's {@code \b} is ASCII. Both agree on ASCII text,
 * so such a pattern runs on re2j when the subject is ASCII and on the small Pike VM in this class
 * otherwise, which also runs what re2j cannot express at all ({@code \b{start}}, {@code \<},
 * {@code \>}, {@code \b{start-half}}, (?mR) line anchors). Both are linear in the subject.
 * </ul>
 * Not reproduced: regorus's 100 KiB compiled-size limit (approximated: a pattern whose expansion
 * exceeds {@link #MAX_PROGRAM} instructions is refused), Script_Extensions for {@code \p{Greek}}
 * (the JDK has Script only), and the Unicode version of the JDK's tables versus the crate's.
 */
final class RustRegex {
    /** Instructions a pattern may expand to; stands in for regorus's 100 KiB size limit. */
    static final int MAX_PROGRAM = 200_000;

    /** The re2j pattern, its capture count, Rust's group names, and which engine it needs. */
    final com.google.re2j.Pattern re2j;
    final int groups;
    final Map<String, Integer> names;
    private final Node ast;
    private final boolean unicodeWordBoundary;
    private final boolean pikeOnly;
    private volatile Pike pike;
    /** What every match starts with at offset 0 (a pattern "^literal..."), checked before re2j runs. */
    private final String anchoredPrefix;
    /** What every match ends with at the end of the text (a pattern "...literal$"). */
    private final String anchoredSuffix;

    private RustRegex(String re2jPattern, Node ast, int groups, Map<String, Integer> names, boolean uwb,
            boolean pikeOnly) {
        this.re2j = pikeOnly ? null : com.google.re2j.Pattern.compile(re2jPattern);
        this.ast = ast;
        this.groups = groups;
        this.names = names;
        this.unicodeWordBoundary = uwb;
        this.pikeOnly = pikeOnly;
        if (pikeOnly || uwb) {
            // compiled now, so that a pattern too big for it is refused as invalid, not at match time
            this.pike = Pike.compile(ast, groups);
        }
        this.anchoredPrefix = anchoredPrefix(ast);
        this.anchoredSuffix = anchoredSuffix(ast);
    }

    private static String anchoredSuffix(Node ast) {
        if (!(ast instanceof Concat c) || c.items().isEmpty()
                || !(c.items().get(c.items().size() - 1) instanceof Assertion a && a.kind() == Assert.TEXT_END)) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (int k = c.items().size() - 2; k >= 0; k--) {
            if (!(c.items().get(k) instanceof Chars ch) || ch.set().r.length != 2 || ch.set().r[0] != ch.set().r[1]) {
                break;
            }
            sb.insert(0, Character.toChars(ch.set().r[0]));
        }
        return sb.toString();
    }

    private static String anchoredPrefix(Node ast) {
        if (!(ast instanceof Concat c) || c.items().isEmpty()
                || !(c.items().get(0) instanceof Assertion a && a.kind() == Assert.TEXT_START)) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 1; k < c.items().size(); k++) {
            if (!(c.items().get(k) instanceof Chars ch) || ch.set().r.length != 2 || ch.set().r[0] != ch.set().r[1]) {
                break;
            }
            sb.appendCodePoint(ch.set().r[0]);
        }
        return sb.toString();
    }

    /** False when the text certainly has no match (the anchored literal prefix is missing). */
    private boolean mayMatch(CharSequence text, int from) {
        int m = anchoredSuffix.length();
        int len = text.length();
        if (m > 0) {
            if (len - from < m) {
                return false;
            }
            for (int i = 0; i < m; i++) {
                if (text.charAt(len - m + i) != anchoredSuffix.charAt(i)) {
                    return false;
                }
            }
        }
        int n = anchoredPrefix.length();
        if (n == 0) {
            return true;
        }
        if (from > 0 || text.length() < n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (text.charAt(i) != anchoredPrefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** A syntax error: the pattern is not a valid Rust regex (or not one this engine can run). */
    static final class SyntaxError extends Exception {
        SyntaxError(String msg) {
            super(msg);
        }
    }

    static RustRegex compile(String pattern) throws SyntaxError {
        Parser p = new Parser(pattern);
        Node ast = p.parseTop();
        Emit e = new Emit();
        e.emit(ast);
        if (e.size > MAX_PROGRAM) {
            throw new SyntaxError("compiled regex exceeds size limit");
        }
        try {
            return new RustRegex(e.sb.toString(), ast, p.captures, p.names, e.unicodeWordBoundary, e.pikeOnly);
        } catch (com.google.re2j.PatternSyntaxException ex) {
            throw new SyntaxError(ex.getDescription());
        }
    }

    /** The re2j form of a pattern (for tests). */
    static String toRe2j(String pattern) throws SyntaxError {
        Emit e = new Emit();
        e.emit(new Parser(pattern).parseTop());
        return e.sb.toString();
    }

    /**
     * The leftmost-first match starting the search at {@code from} (the text before it still counts
     * for ^ and \b), as capture offsets [start0, end0, start1, end1, ...] (-1 for a group that did
     * not take part), or null.
     */
    int[] find(CharSequence text, int from) {
        if (!mayMatch(text, from)) {
            return null;
        }
        if (pikeOnly || (unicodeWordBoundary && !isAscii(text))) {
            Pike vm = pike;
            if (vm == null) {
                vm = Pike.compile(ast, groups);
                pike = vm;
            }
            return vm.find(text, from);
        }
        com.google.re2j.Matcher m = re2j.matcher(text);
        if (!m.find(from)) {
            return null;
        }
        int[] out = new int[2 * (groups + 1)];
        for (int g = 0; g <= groups; g++) {
            out[2 * g] = m.start(g);
            out[2 * g + 1] = m.end(g);
        }
        return out;
    }

    boolean isMatch(CharSequence text) {
        if (!mayMatch(text, 0)) {
            return false;
        }
        if (pikeOnly || (unicodeWordBoundary && !isAscii(text))) {
            return find(text, 0) != null;
        }
        // no group offsets asked: re2j then needs no second, capturing pass
        return re2j.matcher(text).find();
    }

    private static boolean isAscii(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- AST

    enum Assert { TEXT_START, TEXT_END, LINE_START, LINE_END, LINE_START_CRLF, LINE_END_CRLF,
        WORD_A, NOT_WORD_A, WORD_U, NOT_WORD_U, WORD_START_A, WORD_END_A, WORD_START_HALF_A, WORD_END_HALF_A,
        WORD_START_U, WORD_END_U, WORD_START_HALF_U, WORD_END_HALF_U }

    sealed interface Node permits Chars, Concat, Alt, Repeat, Group, Assertion, Empty, FlagMark {
    }

    record Chars(CharSet set) implements Node {
    }

    record Concat(List<Node> items) implements Node {
    }

    record Alt(List<Node> branches) implements Node {
    }

    record Repeat(Node sub, int min, int max, boolean greedy) implements Node {
    }

    /** index -1: non-capturing. */
    record Group(Node sub, int index) implements Node {
    }

    record Assertion(Assert kind) implements Node {
    }

    record Empty() implements Node {
    }

    /** Where a (?flags) stood: not repeatable, dropped from the tree. */
    record FlagMark() implements Node {
    }

    // ---------------------------------------------------------------- Unicode sets

    static final CharSet ASCII_WORD = CharSet.of('0', '9', 'A', 'Z', '_', '_', 'a', 'z');
    static final CharSet ASCII_DIGIT = CharSet.of('0', '9');
    static final CharSet ASCII_SPACE = CharSet.of('\t', '\r', ' ', ' ');
    static final CharSet WHITE_SPACE = CharSet.of(0x9, 0xD, 0x20, 0x20, 0x85, 0x85, 0xA0, 0xA0, 0x1680, 0x1680,
            0x2000, 0x200A, 0x2028, 0x2029, 0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000);

    static CharSet unicodeDigit() {
        return CharSet.where("Nd", c -> Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER);
    }

    /** Rust's Unicode \w: Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control. */
    static CharSet unicodeWord() {
        return CharSet.where("perl-word", c -> {
            if (Character.isAlphabetic(c) || c == 0x200C || c == 0x200D) {
                return true;
            }
            int t = Character.getType(c);
            return t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK
                    || t == Character.COMBINING_SPACING_MARK || t == Character.DECIMAL_DIGIT_NUMBER
                    || t == Character.CONNECTOR_PUNCTUATION;
        });
    }

    private static final Map<String, int[]> CATEGORIES = new HashMap<>();

    static {
        Object[][] gc = {
            {"lu", "uppercaseletter", Character.UPPERCASE_LETTER}, {"ll", "lowercaseletter", Character.LOWERCASE_LETTER},
            {"lt", "titlecaseletter", Character.TITLECASE_LETTER}, {"lm", "modifierletter", Character.MODIFIER_LETTER},
            {"lo", "otherletter", Character.OTHER_LETTER}, {"mn", "nonspacingmark", Character.NON_SPACING_MARK},
            {"mc", "spacingmark", Character.COMBINING_SPACING_MARK}, {"me", "enclosingmark", Character.ENCLOSING_MARK},
            {"nd", "decimalnumber", Character.DECIMAL_DIGIT_NUMBER}, {"nl", "letternumber", Character.LETTER_NUMBER},
            {"no", "othernumber", Character.OTHER_NUMBER}, {"pc", "connectorpunctuation", Character.CONNECTOR_PUNCTUATION},
            {"pd", "dashpunctuation", Character.DASH_PUNCTUATION}, {"ps", "openpunctuation", Character.START_PUNCTUATION},
            {"pe", "closepunctuation", Character.END_PUNCTUATION}, {"pi", "initialpunctuation", Character.INITIAL_QUOTE_PUNCTUATION},
            {"pf", "finalpunctuation", Character.FINAL_QUOTE_PUNCTUATION}, {"po", "otherpunctuation", Character.OTHER_PUNCTUATION},
            {"sm", "mathsymbol", Character.MATH_SYMBOL}, {"sc", "currencysymbol", Character.CURRENCY_SYMBOL},
            {"sk", "modifiersymbol", Character.MODIFIER_SYMBOL}, {"so", "othersymbol", Character.OTHER_SYMBOL},
            {"zs", "spaceseparator", Character.SPACE_SEPARATOR}, {"zl", "lineseparator", Character.LINE_SEPARATOR},
            {"zp", "paragraphseparator", Character.PARAGRAPH_SEPARATOR}, {"cc", "control", Character.CONTROL},
            {"cf", "format", Character.FORMAT}, {"cs", "surrogate", Character.SURROGATE},
            {"co", "privateuse", Character.PRIVATE_USE}, {"cn", "unassigned", Character.UNASSIGNED},
        };
        for (Object[] g : gc) {
            int[] t = {((Number) g[2]).intValue()};
            CATEGORIES.put((String) g[0], t);
            CATEGORIES.put((String) g[1], t);
        }
        int[] l = {Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
            Character.MODIFIER_LETTER, Character.OTHER_LETTER};
        CATEGORIES.put("l", l);
        CATEGORIES.put("letter", l);
        int[] lc = {Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER};
        CATEGORIES.put("lc", lc);
        CATEGORIES.put("casedletter", lc);
        int[] m = {Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK};
        CATEGORIES.put("m", m);
        CATEGORIES.put("mark", m);
        CATEGORIES.put("combiningmark", m);
        int[] n = {Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER};
        CATEGORIES.put("n", n);
        CATEGORIES.put("number", n);
        int[] p = {Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
            Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
            Character.OTHER_PUNCTUATION};
        CATEGORIES.put("p", p);
        CATEGORIES.put("punctuation", p);
        CATEGORIES.put("punct", p);
        int[] s = {Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL};
        CATEGORIES.put("s", s);
        CATEGORIES.put("symbol", s);
        int[] z = {Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR};
        CATEGORIES.put("z", z);
        CATEGORIES.put("separator", z);
        int[] c = {Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED};
        CATEGORIES.put("c", c);
        CATEGORIES.put("other", c);
    }

    /** \p{name}: general categories, a few binary properties and scripts, names matched loosely as Rust does. */
    static CharSet unicodeProperty(String raw) throws SyntaxError {
        String name = raw;
        String key = null;
        int eq = Math.max(raw.indexOf('='), raw.indexOf(':'));
        boolean notEqual = raw.contains("!=");
        if (notEqual) {
            key = loose(raw.substring(0, raw.indexOf("!=")));
            name = raw.substring(raw.indexOf("!=") + 2);
        } else if (eq >= 0) {
            key = loose(raw.substring(0, eq));
            name = raw.substring(eq + 1);
        }
        String v = loose(name);
        CharSet set = null;
        if (key == null || key.equals("gc") || key.equals("generalcategory")) {
            int[] types = CATEGORIES.get(v);
            if (types != null) {
                set = CharSet.where("gc:" + v, cp -> {
                    int t = Character.getType(cp);
                    for (int x : types) {
                        if (x == t) {
                            return true;
                        }
                    }
                    return false;
                });
            }
        }
        if (set == null && key == null) {
            set = switch (v) {
                case "any" -> CharSet.ANY;
                case "ascii" -> CharSet.of(0, 0x7F);
                case "assigned" -> CharSet.where("gc:cn", cp -> Character.getType(cp) == Character.UNASSIGNED).negate();
                case "alphabetic", "alpha" -> CharSet.where("alphabetic", Character::isAlphabetic);
                case "whitespace", "wspace", "space" -> WHITE_SPACE;
                case "uppercase", "upper" -> CharSet.where("uppercase", Character::isUpperCase);
                case "lowercase", "lower" -> CharSet.where("lowercase", Character::isLowerCase);
                default -> null;
            };
        }
        if (set == null && (key == null || key.equals("sc") || key.equals("script") || key.equals("scx")
                || key.equals("scriptextensions"))) {
            Character.UnicodeScript script = null;
            for (Character.UnicodeScript us : Character.UnicodeScript.values()) {
                if (loose(us.name()).equals(v)) {
                    script = us;
                }
            }
            if (script == null) {
                try {
                    script = Character.UnicodeScript.forName(name.strip());
                } catch (IllegalArgumentException e) {
                    script = null;
                }
            }
            if (script != null) {
                Character.UnicodeScript sc = script;
                set = CharSet.where("sc:" + sc, cp -> Character.UnicodeScript.of(cp) == sc);
            }
        }
        if (set == null) {
            throw new SyntaxError("Unicode property not found: " + raw);
        }
        return notEqual ? set.negate() : set;
    }

    private static String loose(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c != ' ' && c != '_' && c != '-' && !Character.isWhitespace(c)) {
                sb.append(Character.toLowerCase(c));
            }
        }
        String out = sb.toString();
        return out.startsWith("is") && out.length() > 2 && !CATEGORIES.containsKey(out) ? out.substring(2) : out;
    }

    private static CharSet asciiClass(String name) {
        return switch (name) {
            case "alnum" -> CharSet.of('0', '9', 'A', 'Z', 'a', 'z');
            case "alpha" -> CharSet.of('A', 'Z', 'a', 'z');
            case "ascii" -> CharSet.of(0, 0x7F);
            case "blank" -> CharSet.of('\t', '\t', ' ', ' ');
            case "cntrl" -> CharSet.of(0, 0x1F, 0x7F, 0x7F);
            case "digit" -> ASCII_DIGIT;
            case "graph" -> CharSet.of('!', '~');
            case "lower" -> CharSet.of('a', 'z');
            case "print" -> CharSet.of(' ', '~');
            case "punct" -> CharSet.of('!', '/', ':', '@', '[', '`', '{', '~');
            case "space" -> ASCII_SPACE;
            case "upper" -> CharSet.of('A', 'Z');
            case "word" -> ASCII_WORD;
            case "xdigit" -> CharSet.of('0', '9', 'A', 'F', 'a', 'f');
            default -> null;
        };
    }

    // ---------------------------------------------------------------- parser (Rust's grammar)

    private record Flags(boolean i, boolean m, boolean s, boolean U, boolean u, boolean x, boolean R) {
    }

    private static final class Parser {
        final int[] cps;
        int pos;
        Flags flags = new Flags(false, false, false, false, true, false, false);
        int captures;
        final Map<String, Integer> names = new HashMap<>();

        Parser(String pattern) {
            this.cps = pattern.codePoints().toArray();
        }

        boolean eof() {
            return pos >= cps.length;
        }

        int ch() {
            return cps[pos];
        }

        boolean at(String s) {
            int[] t = s.codePoints().toArray();
            if (pos + t.length > cps.length) {
                return false;
            }
            for (int k = 0; k < t.length; k++) {
                if (cps[pos + k] != t[k]) {
                    return false;
                }
            }
            return true;
        }

        SyntaxError err(String msg) {
            return new SyntaxError(msg + " at " + pos);
        }

        /** In x mode: skips whitespace and # comments. */
        void space() {
            if (!flags.x) {
                return;
            }
            while (!eof()) {
                if (Character.isWhitespace(ch())) {
                    pos++;
                } else if (ch() == '#') {
                    while (!eof() && ch() != '\n') {
                        pos++;
                    }
                } else {
                    return;
                }
            }
        }

        Node parseTop() throws SyntaxError {
            Node n = parseAlt();
            if (!eof()) {
                throw err("unopened group");
            }
            return n;
        }

        /** Parses up to an unmatched ')' or the end; flags set inside stay local to this level. */
        Node parseAlt() throws SyntaxError {
            Flags saved = flags;
            List<Node> branches = new ArrayList<>();
            List<Node> concat = new ArrayList<>();
            while (true) {
                space();
                if (eof() || ch() == ')') {
                    break;
                }
                int c = ch();
                switch (c) {
                    case '|' -> {
                        pos++;
                        branches.add(seq(concat));
                        concat = new ArrayList<>();
                    }
                    case '(' -> concat.add(parseGroup());
                    case '[' -> concat.add(new Chars(finishClass(parseClass(), flags)));
                    case '*', '+', '?' -> {
                        pos++;
                        int min = c == '+' ? 1 : 0;
                        int max = c == '?' ? 1 : -1;
                        repeat(concat, min, max);
                    }
                    case '{' -> counted(concat);
                    case '\\' -> concat.add(escapeOutside());
                    case '.' -> {
                        pos++;
                        CharSet dot = flags.s ? CharSet.ANY
                                : flags.R ? CharSet.of('\n', '\n', '\r', '\r').negate() : CharSet.of('\n', '\n').negate();
                        concat.add(new Chars(requireUtf8(dot)));
                    }
                    case '^' -> {
                        pos++;
                        concat.add(new Assertion(flags.m ? (flags.R ? Assert.LINE_START_CRLF : Assert.LINE_START)
                                : Assert.TEXT_START));
                    }
                    case '$' -> {
                        pos++;
                        concat.add(new Assertion(flags.m ? (flags.R ? Assert.LINE_END_CRLF : Assert.LINE_END)
                                : Assert.TEXT_END));
                    }
                    default -> {
                        pos++;
                        concat.add(literal(c));
                    }
                }
            }
            branches.add(seq(concat));
            flags = saved;
            return branches.size() == 1 ? branches.get(0) : new Alt(branches);
        }

        private Node seq(List<Node> concat) {
            List<Node> items = new ArrayList<>();
            for (Node n : concat) {
                if (!(n instanceof FlagMark)) {
                    items.add(n);
                }
            }
            return items.isEmpty() ? new Empty() : items.size() == 1 ? items.get(0) : new Concat(items);
        }

        Node literal(int c) throws SyntaxError {
            if (!flags.u && c >= 0x80) {
                throw err("Unicode not allowed here");
            }
            CharSet set = CharSet.single(c);
            if (flags.i) {
                set = fold(set);
            }
            return new Chars(set);
        }

        CharSet fold(CharSet set) {
            CharSet f = set.caseFold();
            // without Unicode, only ASCII letters fold
            return flags.u ? f : set.union(f.intersect(CharSet.of(0, 0x7F)));
        }

        CharSet requireUtf8(CharSet set) throws SyntaxError {
            if (!flags.u && !set.isAscii()) {
                throw err("pattern can match invalid UTF-8");
            }
            return set;
        }

        void repeat(List<Node> concat, int min, int max) throws SyntaxError {
            if (concat.isEmpty() || concat.get(concat.size() - 1) instanceof FlagMark) {
                throw err("repetition operator missing expression");
            }
            boolean greedy = true;
            if (!eof() && ch() == '?') {
                pos++;
                greedy = false;
            }
            if (flags.U) {
                greedy = !greedy;
            }
            Node last = concat.remove(concat.size() - 1);
            concat.add(new Repeat(last, min, max, greedy));
        }

        void counted(List<Node> concat) throws SyntaxError {
            if (concat.isEmpty() || concat.get(concat.size() - 1) instanceof FlagMark) {
                throw err("repetition operator missing expression");
            }
            pos++;
            space();
            if (eof()) {
                throw err("unclosed counted repetition");
            }
            Integer lo = decimal();
            if (eof()) {
                throw err("unclosed counted repetition");
            }
            int min;
            int max;
            if (ch() == ',') {
                pos++;
                space();
                if (eof()) {
                    throw err("unclosed counted repetition");
                }
                if (ch() != '}') {
                    // Rust rejects {,n} unless empty_min_range is set, which regex does not set
                    if (lo == null) {
                        throw err("repetition quantifier expects a valid decimal");
                    }
                    Integer hi = decimal();
                    if (hi == null) {
                        throw err("repetition quantifier expects a valid decimal");
                    }
                    min = lo;
                    max = hi;
                } else {
                    if (lo == null) {
                        throw err("repetition quantifier expects a valid decimal");
                    }
                    min = lo;
                    max = -1;
                }
            } else {
                if (lo == null) {
                    throw err("repetition quantifier expects a valid decimal");
                }
                min = lo;
                max = lo;
            }
            if (eof() || ch() != '}') {
                throw err("unclosed counted repetition");
            }
            pos++;
            space();
            if (max >= 0 && min > max) {
                throw err("invalid repetition count range");
            }
            repeat(concat, min, max);
        }

        /** Rust's parse_decimal: whitespace around the digits is skipped in any mode. */
        Integer decimal() throws SyntaxError {
            while (!eof() && Character.isWhitespace(ch())) {
                pos++;
            }
            long v = 0;
            int digits = 0;
            while (!eof() && ch() >= '0' && ch() <= '9') {
                v = v * 10 + (ch() - '0');
                if (v > 0xFFFFFFFFL) {
                    throw err("decimal literal invalid");
                }
                digits++;
                pos++;
                space();
            }
            while (!eof() && Character.isWhitespace(ch())) {
                pos++;
            }
            if (digits == 0) {
                return null;
            }
            if (v > Integer.MAX_VALUE) {
                throw err("compiled regex exceeds size limit");
            }
            return (int) v;
        }

        Node parseGroup() throws SyntaxError {
            pos++; // (
            Integer index = null;
            Flags inner = flags;
            if (at("?P<") || at("?<")) {
                pos += at("?P<") ? 3 : 2;
                index = ++captures;
                String name = captureName();
                if (names.putIfAbsent(name, index) != null) {
                    throw err("duplicate capture group name");
                }
            } else if (at("?")) {
                pos++;
                if (eof()) {
                    throw err("unclosed group");
                }
                int start = pos;
                Flags f = parseFlags();
                boolean empty = pos == start;
                if (ch() == ')') {
                    pos++;
                    if (empty) {
                        throw err("repetition operator missing expression");
                    }
                    flags = f;
                    return new FlagMark();
                }
                pos++; // ':'
                inner = f;
            } else {
                index = ++captures;
            }
            Flags outer = flags;
            flags = inner;
            Node sub = parseAlt();
            flags = outer;
            if (eof()) {
                throw err("unclosed group");
            }
            pos++; // )
            return new Group(sub, index == null ? -1 : index);
        }

        String captureName() throws SyntaxError {
            if (eof()) {
                throw err("unexpected end of group name");
            }
            StringBuilder sb = new StringBuilder();
            boolean first = true;
            while (!eof() && ch() != '>') {
                int c = ch();
                boolean ok = first ? (c == '_' || Character.isAlphabetic(c))
                        : (c == '_' || c == '.' || c == '[' || c == ']' || Character.isAlphabetic(c)
                                || Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER
                                || Character.getType(c) == Character.LETTER_NUMBER
                                || Character.getType(c) == Character.OTHER_NUMBER);
                if (!ok) {
                    throw err("invalid capture group character");
                }
                sb.appendCodePoint(c);
                first = false;
                pos++;
            }
            if (eof()) {
                throw err("unexpected end of group name");
            }
            pos++; // >
            if (sb.isEmpty()) {
                throw err("empty capture group name");
            }
            return sb.toString();
        }

        Flags parseFlags() throws SyntaxError {
            boolean neg = false;
            boolean lastNeg = false;
            boolean sawNeg = false;
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            boolean i = flags.i, m = flags.m, s = flags.s, bigU = flags.U, u = flags.u, x = flags.x, r = flags.R;
            while (!eof() && ch() != ':' && ch() != ')') {
                int c = ch();
                if (c == '-') {
                    if (sawNeg) {
                        throw err("flag negation repeated");
                    }
                    sawNeg = true;
                    neg = true;
                    lastNeg = true;
                } else {
                    lastNeg = false;
                    if (!seen.add(c)) {
                        throw err("duplicate flag");
                    }
                    boolean v = !neg;
                    switch (c) {
                        case 'i' -> i = v;
                        case 'm' -> m = v;
                        case 's' -> s = v;
                        case 'U' -> bigU = v;
                        case 'u' -> u = v;
                        case 'x' -> x = v;
                        case 'R' -> r = v;
                        default -> throw err("unrecognized flag");
                    }
                }
                pos++;
            }
            if (eof()) {
                throw err("expected flag but got end of regex");
            }
            if (lastNeg) {
                throw err("dangling flag negation operator");
            }
            return new Flags(i, m, s, bigU, u, x, r);
        }

        /** One escape: a literal code point, a class, or an assertion (as a Node). */
        Object escape(boolean inClass) throws SyntaxError {
            pos++; // backslash
            if (eof()) {
                throw err("incomplete escape sequence");
            }
            int c = ch();
            if (c >= '0' && c <= '9') {
                throw err("backreferences are not supported");
            }
            if (c == 'x' || c == 'u' || c == 'U') {
                return hex(c);
            }
            if (c == 'p' || c == 'P') {
                return unicodeClass(c == 'P');
            }
            switch (c) {
                case 'd', 'D', 's', 'S', 'w', 'W' -> {
                    pos++;
                    CharSet base = switch (Character.toLowerCase(c)) {
                        case 'd' -> flags.u ? unicodeDigit() : ASCII_DIGIT;
                        case 's' -> flags.u ? WHITE_SPACE : ASCII_SPACE;
                        default -> flags.u ? unicodeWord() : ASCII_WORD;
                    };
                    // without Unicode, \W \D \S are still taken over all code points (regex-syntax
                    // does so when the regex must match UTF-8), so they are no error
                    return new ClassItem(base, Character.isUpperCase(c), true);
                }
                default -> {
                }
            }
            pos++;
            if (isMeta(c) || (c < 0x80 && !Character.isLetterOrDigit(c) && c != '<' && c != '>')) {
                return c;
            }
            switch (c) {
                case 'a':
                    return 0x07;
                case 'f':
                    return 0x0C;
                case 't':
                    return (int) '\t';
                case 'n':
                    return (int) '\n';
                case 'r':
                    return (int) '\r';
                case 'v':
                    return 0x0B;
                default:
                    break;
            }
            if (inClass) {
                throw err("unrecognized escape sequence in class");
            }
            boolean u = flags.u;
            return switch (c) {
                case 'A' -> new Assertion(Assert.TEXT_START);
                case 'z' -> new Assertion(Assert.TEXT_END);
                case 'B' -> new Assertion(u ? Assert.NOT_WORD_U : Assert.NOT_WORD_A);
                case '<' -> new Assertion(u ? Assert.WORD_START_U : Assert.WORD_START_A);
                case '>' -> new Assertion(u ? Assert.WORD_END_U : Assert.WORD_END_A);
                case 'b' -> specialWordBoundary(u);
                default -> throw err("unrecognized escape sequence");
            };
        }

        Node specialWordBoundary(boolean u) throws SyntaxError {
            Node plain = new Assertion(u ? Assert.WORD_U : Assert.WORD_A);
            if (eof() || ch() != '{') {
                return plain;
            }
            int start = pos;
            pos++;
            space();
            if (eof()) {
                throw err("unexpected end of special word boundary or repetition");
            }
            if (!isWordBoundaryChar(ch())) {
                pos = start;
                return plain;
            }
            StringBuilder sb = new StringBuilder();
            while (!eof() && isWordBoundaryChar(ch())) {
                sb.appendCodePoint(ch());
                pos++;
                space();
            }
            if (eof() || ch() != '}') {
                throw err("unclosed special word boundary");
            }
            pos++;
            return switch (sb.toString()) {
                case "start" -> new Assertion(u ? Assert.WORD_START_U : Assert.WORD_START_A);
                case "end" -> new Assertion(u ? Assert.WORD_END_U : Assert.WORD_END_A);
                case "start-half" -> new Assertion(u ? Assert.WORD_START_HALF_U : Assert.WORD_START_HALF_A);
                case "end-half" -> new Assertion(u ? Assert.WORD_END_HALF_U : Assert.WORD_END_HALF_A);
                default -> throw err("unrecognized special word boundary");
            };
        }

        static boolean isWordBoundaryChar(int c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
        }

        static boolean isMeta(int c) {
            return "\\.+*?()|[]{}^$#&-~".indexOf(c) >= 0;
        }

        int hex(int kind) throws SyntaxError {
            pos++;
            space();
            if (eof()) {
                throw err("incomplete escape sequence");
            }
            StringBuilder digits = new StringBuilder();
            if (ch() == '{') {
                pos++;
                space();
                while (!eof() && ch() != '}') {
                    if (Character.digit(ch(), 16) < 0 || ch() >= 0x80) {
                        throw err("invalid hexadecimal digit");
                    }
                    digits.appendCodePoint(ch());
                    pos++;
                    space();
                }
                if (eof()) {
                    throw err("incomplete escape sequence");
                }
                pos++;
                if (digits.isEmpty()) {
                    throw err("hexadecimal literal empty");
                }
            } else {
                int n = kind == 'x' ? 2 : kind == 'u' ? 4 : 8;
                for (int k = 0; k < n; k++) {
                    if (eof()) {
                        throw err("incomplete escape sequence");
                    }
                    if (Character.digit(ch(), 16) < 0 || ch() >= 0x80) {
                        throw err("invalid hexadecimal digit");
                    }
                    digits.appendCodePoint(ch());
                    pos++;
                    if (k + 1 < n) {
                        space();
                    }
                }
                space();
            }
            long v = digits.length() > 8 ? Long.MAX_VALUE : Long.parseLong(digits.toString(), 16);
            if (v > CharSet.MAX || (v >= 0xD800 && v <= 0xDFFF)) {
                throw err("hexadecimal literal is not a Unicode scalar value");
            }
            if (!flags.u && v > 0x7F) {
                // without Unicode, \xFF is a byte: the regex could match invalid UTF-8
                throw err("pattern can match invalid UTF-8");
            }
            return (int) v;
        }

        ClassItem unicodeClass(boolean negated) throws SyntaxError {
            pos++;
            space();
            if (eof()) {
                throw err("incomplete escape sequence");
            }
            String name;
            if (ch() == '{') {
                StringBuilder sb = new StringBuilder();
                pos++;
                while (!eof() && ch() != '}') {
                    sb.appendCodePoint(ch());
                    pos++;
                    space();
                }
                if (eof()) {
                    throw err("incomplete escape sequence");
                }
                pos++;
                name = sb.toString();
            } else {
                name = new String(Character.toChars(ch()));
                pos++;
            }
            if (!flags.u) {
                throw err("Unicode not allowed here");
            }
            return new ClassItem(unicodeProperty(name), negated, false);
        }

        /** A class item as Rust's translator builds it: folded first, then negated. */
        record ClassItem(CharSet base, boolean negated, boolean perl) {
        }

        CharSet itemSet(ClassItem item) throws SyntaxError {
            CharSet s = flags.i ? fold(item.base) : item.base;
            return item.negated ? (item.perl ? s.negate() : requireUtf8(s.negate())) : s;
        }

        Node escapeOutside() throws SyntaxError {
            Object e = escape(false);
            if (e instanceof Integer c) {
                return literal(c);
            }
            if (e instanceof ClassItem item) {
                return new Chars(itemSet(item));
            }
            return (Node) e;
        }

        /** A bracketed class, from '[' to its ']', as the set before the bracket's own folding and negation. */
        record Bracket(CharSet set, boolean negated) {
        }

        CharSet finishClass(Bracket b, Flags f) throws SyntaxError {
            CharSet s = f.i ? fold(b.set) : b.set;
            return requireUtf8(b.negated ? s.negate() : s);
        }

        Bracket parseClass() throws SyntaxError {
            pos++; // [
            space();
            if (eof()) {
                throw err("unclosed character class");
            }
            boolean negated = false;
            if (ch() == '^') {
                negated = true;
                pos++;
                space();
                if (eof()) {
                    throw err("unclosed character class");
                }
            }
            CharSet union = CharSet.EMPTY;
            boolean any = false;
            while (!eof() && ch() == '-') {
                union = union.union(fold1(CharSet.single('-')));
                any = true;
                pos++;
                space();
            }
            if (eof()) {
                throw err("unclosed character class");
            }
            if (!any && ch() == ']') {
                union = union.union(fold1(CharSet.single(']')));
                pos++;
                space();
            }
            CharSet lhs = null;
            char op = 0;
            while (true) {
                space();
                if (eof()) {
                    throw err("unclosed character class");
                }
                int c = ch();
                if (c == '[') {
                    CharSet ascii = maybeAsciiClass();
                    if (ascii != null) {
                        union = union.union(ascii);
                        continue;
                    }
                    Bracket nested = parseClass();
                    union = union.union(finishClass(nested, flags));
                    continue;
                }
                if (c == ']') {
                    pos++;
                    CharSet set = lhs == null ? union : apply(lhs, op, union);
                    return new Bracket(set, negated);
                }
                if ((c == '&' || c == '-' || c == '~') && pos + 1 < cps.length && cps[pos + 1] == c) {
                    pos += 2;
                    lhs = lhs == null ? union : apply(lhs, op, union);
                    op = (char) c;
                    union = CharSet.EMPTY;
                    continue;
                }
                union = union.union(classRange());
            }
        }

        private CharSet fold1(CharSet s) {
            return flags.i ? fold(s) : s;
        }

        private static CharSet apply(CharSet lhs, char op, CharSet rhs) {
            return switch (op) {
                case '&' -> lhs.intersect(rhs);
                case '-' -> lhs.minus(rhs);
                default -> lhs.symmetricDifference(rhs);
            };
        }

        CharSet maybeAsciiClass() {
            int start = pos;
            if (!at("[:")) {
                return null;
            }
            pos += 2;
            boolean neg = false;
            if (!eof() && ch() == '^') {
                neg = true;
                pos++;
            }
            StringBuilder name = new StringBuilder();
            while (!eof() && ch() != ':') {
                name.appendCodePoint(ch());
                pos++;
            }
            if (eof() || !at(":]")) {
                pos = start;
                return null;
            }
            CharSet set = asciiClass(name.toString());
            if (set == null) {
                pos = start;
                return null;
            }
            pos += 2;
            set = fold1(set);
            return neg ? set.negate() : set;
        }

        CharSet classRange() throws SyntaxError {
            Object a = classPrimitive();
            space();
            if (eof()) {
                throw err("unclosed character class");
            }
            int next = peekSpace();
            if (ch() != '-' || next == ']' || next == '-') {
                return toSet(a);
            }
            pos++;
            space();
            if (eof()) {
                throw err("unclosed character class");
            }
            Object b = classPrimitive();
            if (!(a instanceof Integer lo) || !(b instanceof Integer hi)) {
                throw err("invalid range boundary, must be a literal");
            }
            if (lo > hi) {
                throw err("invalid character class range");
            }
            return fold1(CharSet.of(lo, hi));
        }

        int peekSpace() {
            int save = pos;
            pos++;
            space();
            int c = eof() ? -1 : ch();
            pos = save;
            return c;
        }

        Object classPrimitive() throws SyntaxError {
            if (ch() == '\\') {
                Object e = escape(true);
                if (e instanceof Node) {
                    throw err("invalid escape in class");
                }
                return e;
            }
            int c = ch();
            pos++;
            return c;
        }

        CharSet toSet(Object o) throws SyntaxError {
            if (o instanceof Integer c) {
                return fold1(CharSet.single(c));
            }
            return itemSet((ClassItem) o);
        }
    }

    // ---------------------------------------------------------------- re2j emitter

    private static final class Emit {
        final StringBuilder sb = new StringBuilder();
        boolean unicodeWordBoundary;
        boolean pikeOnly;
        long size;

        void emit(Node n) {
            size++;
            switch (n) {
                case Chars c -> {
                    if (c.set().r.length == 2 && c.set().r[0] == c.set().r[1] && !isSurrogate(c.set().r[0])) {
                        sb.append("\\x{").append(Integer.toHexString(c.set().r[0])).append('}');
                    } else {
                        sb.append(c.set().toRe2j());
                    }
                }
                case Concat c -> {
                    for (Node x : c.items()) {
                        emit(x);
                    }
                }
                case Alt a -> {
                    sb.append("(?:");
                    for (int k = 0; k < a.branches().size(); k++) {
                        if (k > 0) {
                            sb.append('|');
                        }
                        emit(a.branches().get(k));
                    }
                    sb.append(')');
                }
                case Group g -> {
                    sb.append(g.index() < 0 ? "(?:" : "(");
                    emit(g.sub());
                    sb.append(')');
                }
                case Repeat r -> repeat(r);
                case Assertion a -> sb.append(assertion(a.kind()));
                case Empty e -> sb.append("(?:)");
                case FlagMark f -> {
                }
            }
        }

        private static boolean isSurrogate(int c) {
            return c >= 0xD800 && c <= 0xDFFF;
        }

        /** re2j refuses counts above 1000 and stacked operators: wrap, and split big counts. */
        void repeat(Repeat r) {
            String lazy = r.greedy() ? "" : "?";
            int min = r.min();
            int max = r.max();
            long before = size;
            if (max == -1 && min <= 1) {
                sub(r.sub());
                sb.append(min == 0 ? "*" : "+").append(lazy);
                return;
            }
            if (min == 0 && max == 1) {
                sub(r.sub());
                sb.append('?').append(lazy);
                return;
            }
            long expansion = (long) Math.max(min, max) * Math.max(1, size - before + 1);
            while (min > 1000) {
                sub(r.sub());
                sb.append("{1000}");
                min -= 1000;
                if (max > 0) {
                    max -= 1000;
                }
            }
            if (max == -1) {
                sub(r.sub());
                sb.append('{').append(min).append(",}").append(lazy);
            } else {
                int extra = max - min;
                sub(r.sub());
                sb.append('{').append(min).append(',').append(Math.min(max, min + Math.min(extra, 1000 - min)))
                        .append('}').append(lazy);
                extra -= Math.min(extra, 1000 - min);
                while (extra > 0) {
                    int chunk = Math.min(extra, 1000);
                    sub(r.sub());
                    sb.append("{0,").append(chunk).append('}').append(lazy);
                    extra -= chunk;
                }
            }
            size += expansion;
        }

        void sub(Node n) {
            sb.append("(?:");
            emit(n);
            sb.append(')');
        }

        String assertion(Assert k) {
            return switch (k) {
                case TEXT_START -> "\\A";
                case TEXT_END -> "\\z";
                case LINE_START -> "(?m:^)";
                case LINE_END -> "(?m:$)";
                case WORD_A -> "\\b";
                case NOT_WORD_A -> "\\B";
                case WORD_U -> {
                    unicodeWordBoundary = true;
                    yield "\\b";
                }
                case NOT_WORD_U -> {
                    unicodeWordBoundary = true;
                    yield "\\B";
                }
                default -> {
                    pikeOnly = true;
                    yield "(?:)";
                }
            };
        }
    }

    // ---------------------------------------------------------------- Pike VM (the fallback)

    /** A Thompson-NFA simulation with leftmost-first priorities (the Pike VM): linear in the text. */
    static final class Pike {
        private static final int CHAR = 0, SPLIT = 1, JMP = 2, SAVE = 3, ASSERT = 4, MATCH = 5;
        private final List<int[]> prog = new ArrayList<>();
        private final List<CharSet> sets = new ArrayList<>();
        private final int slots;

        private Pike(int groups) {
            this.slots = 2 * (groups + 1);
        }

        static Pike compile(Node ast, int groups) {
            Pike p = new Pike(groups);
            p.add(SAVE, 0, 0);
            p.gen(ast);
            p.add(SAVE, 1, 0);
            p.add(MATCH, 0, 0);
            return p;
        }

        private int add(int op, int x, int y) {
            prog.add(new int[] {op, x, y});
            if (prog.size() > MAX_PROGRAM) {
                throw new IllegalStateException("compiled regex exceeds size limit");
            }
            return prog.size() - 1;
        }

        private void gen(Node n) {
            switch (n) {
                case Chars c -> {
                    sets.add(c.set());
                    add(CHAR, sets.size() - 1, 0);
                }
                case Concat c -> c.items().forEach(this::gen);
                case Alt a -> {
                    List<Integer> jumps = new ArrayList<>();
                    for (int k = 0; k < a.branches().size(); k++) {
                        if (k + 1 < a.branches().size()) {
                            int split = add(SPLIT, 0, 0);
                            prog.get(split)[1] = prog.size();
                            gen(a.branches().get(k));
                            jumps.add(add(JMP, 0, 0));
                            prog.get(split)[2] = prog.size();
                        } else {
                            gen(a.branches().get(k));
                        }
                    }
                    for (int j : jumps) {
                        prog.get(j)[1] = prog.size();
                    }
                }
                case Group g -> {
                    if (g.index() >= 0) {
                        add(SAVE, 2 * g.index(), 0);
                    }
                    gen(g.sub());
                    if (g.index() >= 0) {
                        add(SAVE, 2 * g.index() + 1, 0);
                    }
                }
                case Repeat r -> {
                    for (int k = 0; k < r.min(); k++) {
                        gen(r.sub());
                    }
                    if (r.max() == -1) {
                        int split = add(SPLIT, 0, 0);
                        gen(r.sub());
                        add(JMP, split, 0);
                        branch(split, split + 1, prog.size(), r.greedy());
                    } else {
                        List<Integer> splits = new ArrayList<>();
                        for (int k = r.min(); k < r.max(); k++) {
                            splits.add(add(SPLIT, 0, 0));
                            gen(r.sub());
                        }
                        for (int s : splits) {
                            branch(s, s + 1, prog.size(), r.greedy());
                        }
                    }
                }
                case Assertion a -> add(ASSERT, a.kind().ordinal(), 0);
                case Empty e -> {
                }
                case FlagMark f -> {
                }
            }
        }

        private void branch(int split, int body, int out, boolean greedy) {
            prog.get(split)[1] = greedy ? body : out;
            prog.get(split)[2] = greedy ? out : body;
        }

        /** Unicode \w, looked up once (the Pike VM asks at every position of an assertion). */
        private static final class Words {
            static final CharSet UNICODE = unicodeWord();
        }

        private static boolean word(int cp, boolean unicode) {
            return cp >= 0 && (unicode ? Words.UNICODE.contains(cp) : ASCII_WORD.contains(cp));
        }

        private static boolean holds(Assert k, int prev, int next) {
            return switch (k) {
                case TEXT_START -> prev < 0;
                case TEXT_END -> next < 0;
                case LINE_START -> prev < 0 || prev == '\n';
                case LINE_END -> next < 0 || next == '\n';
                case LINE_START_CRLF -> prev < 0 || prev == '\n' || (prev == '\r' && next != '\n');
                case LINE_END_CRLF -> next < 0 || next == '\r' || (next == '\n' && prev != '\r');
                case WORD_A -> word(prev, false) != word(next, false);
                case NOT_WORD_A -> word(prev, false) == word(next, false);
                case WORD_U -> word(prev, true) != word(next, true);
                case NOT_WORD_U -> word(prev, true) == word(next, true);
                case WORD_START_A -> !word(prev, false) && word(next, false);
                case WORD_END_A -> word(prev, false) && !word(next, false);
                case WORD_START_HALF_A -> !word(prev, false);
                case WORD_END_HALF_A -> !word(next, false);
                case WORD_START_U -> !word(prev, true) && word(next, true);
                case WORD_END_U -> word(prev, true) && !word(next, true);
                case WORD_START_HALF_U -> !word(prev, true);
                case WORD_END_HALF_U -> !word(next, true);
            };
        }

        private record Thread(int pc, int[] caps) {
        }

        int[] find(CharSequence text, int from) {
            int n = text.length();
            int[] mark = new int[prog.size()];
            java.util.Arrays.fill(mark, -1);
            List<Thread> clist = new ArrayList<>();
            int[] matched = null;
            int i = from;
            int gen = 0;
            while (true) {
                int prev = i == 0 ? -1 : Character.codePointBefore(text, i);
                int next = i >= n ? -1 : Character.codePointAt(text, i);
                if (matched == null) {
                    int[] caps = new int[slots];
                    java.util.Arrays.fill(caps, -1);
                    addThread(clist, mark, gen, 0, caps, i, prev, next);
                }
                gen++;
                List<Thread> nlist = new ArrayList<>();
                int step = next < 0 ? 0 : Character.charCount(next);
                for (Thread t : clist) {
                    int[] ins = prog.get(t.pc);
                    if (ins[0] == MATCH) {
                        matched = t.caps;
                        break; // lower-priority threads are cut off
                    }
                    if (ins[0] == CHAR && next >= 0 && sets.get(ins[1]).contains(next)) {
                        int nprev = next;
                        int nnext = i + step >= n ? -1 : Character.codePointAt(text, i + step);
                        addThread(nlist, mark, gen, t.pc + 1, t.caps, i + step, nprev, nnext);
                    }
                }
                if (next < 0 || (matched != null && nlist.isEmpty())) {
                    break;
                }
                clist = nlist;
                i += step;
            }
            return matched;
        }

        /** Follows empty transitions in priority order, with an explicit stack (long chains of x? run deep). */
        private void addThread(List<Thread> list, int[] mark, int gen, int startPc, int[] startCaps, int pos, int prev,
                int next) {
            java.util.ArrayDeque<Thread> stack = new java.util.ArrayDeque<>();
            stack.push(new Thread(startPc, startCaps));
            while (!stack.isEmpty()) {
                Thread t = stack.pop();
                int pc = t.pc;
                if (mark[pc] == gen) {
                    continue;
                }
                mark[pc] = gen;
                int[] ins = prog.get(pc);
                switch (ins[0]) {
                    case JMP -> stack.push(new Thread(ins[1], t.caps));
                    case SPLIT -> {
                        stack.push(new Thread(ins[2], t.caps));
                        stack.push(new Thread(ins[1], t.caps));
                    }
                    case SAVE -> {
                        int[] c = t.caps.clone();
                        c[ins[1]] = pos;
                        stack.push(new Thread(pc + 1, c));
                    }
                    case ASSERT -> {
                        if (holds(Assert.values()[ins[1]], prev, next)) {
                            stack.push(new Thread(pc + 1, t.caps));
                        }
                    }
                    default -> list.add(t);
                }
            }
        }
    }
}
