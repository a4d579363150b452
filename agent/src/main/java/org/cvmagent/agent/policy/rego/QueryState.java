package org.cvmagent.agent.policy.rego;

import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one query evaluates against: input, base data, the rule values computed so far (each
 * complete rule is evaluated once per query) and, under `with data...`, the rule paths replaced by
 * values. A `with` gets a fresh state sharing the budget and the print output.
 */
final class QueryState {
    final Value input;
    final Value data;
    final Set<List<String>> masked;
    /** `with` replacements of functions: by function node or builtin name, to a node, builtin or value. */
    final Map<Object, Object> mocks;
    final Map<RuleTree.Node, Optional<Value>> cache = new IdentityHashMap<>();
    final Set<RuleTree.Node> inProgress = new HashSet<>();
    final Budget budget;
    final PrintLog prints;

    QueryState(Value input, Value data, Set<List<String>> masked, Map<Object, Object> mocks, Budget budget,
            PrintLog prints) {
        this.input = input;
        this.data = data;
        this.masked = masked;
        this.mocks = mocks;
        this.budget = budget;
        this.prints = prints;
    }

    boolean isMasked(List<String> path) {
        if (masked.isEmpty()) {
            return false;
        }
        for (int i = 1; i <= path.size(); i++) {
            if (masked.contains(path.subList(0, i))) {
                return true;
            }
        }
        return false;
    }
}
