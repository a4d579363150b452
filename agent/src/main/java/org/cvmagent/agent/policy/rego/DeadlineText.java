package org.cvmagent.agent.policy.rego;

/**
 * The subject of a regular expression match, checking the query's deadline while the regex engine
 * reads it. re2j and RustRegex's Pike VM take time linear in the subject, but a large pattern over a
 * megabyte still runs for a while inside one builtin call, between the evaluator's own step checks.
 */
final class DeadlineText implements CharSequence {

    /** How many character reads pass between two clock checks. */
    private static final int CHECK_EVERY = 1 << 12;

    private final CharSequence text;
    private final Budget budget;
    private int reads;

    DeadlineText(CharSequence text, Budget budget) {
        this.text = text;
        this.budget = budget;
    }

    @Override
    public char charAt(int index) {
        if ((++reads & (CHECK_EVERY - 1)) == 0 && budget.deadlinePassed()) {
            throw new Expired();
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new DeadlineText(text.subSequence(start, end), budget);
    }

    @Override
    public String toString() {
        return text.toString();
    }

    /** Thrown out of the regex engine (charAt cannot throw checked exceptions); see {@link RegexBuiltins}. */
    static final class Expired extends RuntimeException {
        Expired() {
            super(null, null, false, false);
        }
    }
}
