package org.cvmagent.agent.policy.rego;

/**
 * The distinct values a complete rule or function produced. Only "none", "one" or "more than one"
 * matters (more is a conflict), so this keeps the first value and compares later ones by equality:
 * a sorted set would compare even its first element with itself, a deep walk of every large
 * object a genpolicy function returns.
 */
final class Outputs {
    private Value first;
    private boolean conflict;

    void add(Value v) {
        if (first == null) {
            first = v;
        } else if (!conflict && !first.equals(v)) {
            conflict = true;
        }
    }

    boolean isEmpty() {
        return first == null;
    }

    /** Whether two different values were produced. */
    boolean conflict() {
        return conflict;
    }

    /** The value, or null when none was produced. */
    Value value() {
        return first;
    }
}
