package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The rules of all modules indexed by their path under data, so lookups never scan rules. */
final class RuleTree {
    /** One path segment: the rules defined exactly here and the deeper paths. */
    static final class Node {
        final List<String> path;
        final Map<String, Node> children = new TreeMap<>();
        final List<Ast.Rule> rules = new ArrayList<>();
        Ast.Rule defaultRule;
        Ast.Kind kind;

        Node(List<String> path) {
            this.path = path;
        }

        boolean hasRules() {
            return kind != null;
        }

        String name() {
            return String.join(".", path);
        }
    }

    final Node root = new Node(List.of("data"));

    void add(Ast.Rule r) throws RegoException {
        Node n = root;
        for (int i = 1; i < r.path().size(); i++) {
            String seg = r.path().get(i);
            Node parent = n;
            n = n.children.computeIfAbsent(seg, s -> new Node(List.copyOf(r.path().subList(0, parent.path.size() + 1))));
        }
        if (n.kind != null && n.kind != r.kind()) {
            throw new RegoException(r.module().file() + ":" + r.line() + ": rego_type_error: conflicting rules "
                    + n.name() + " found");
        }
        n.kind = r.kind();
        if (r.isDefault()) {
            if (n.defaultRule != null) {
                throw new RegoException(r.module().file() + ":" + r.line()
                        + ": rego_type_error: multiple default rules " + n.name() + " found");
            }
            n.defaultRule = r;
        } else {
            n.rules.add(r);
        }
    }

    /** The node at an absolute path ("data", ...), or null. */
    Node find(List<String> path) {
        Node n = root;
        for (int i = 1; i < path.size() && n != null; i++) {
            n = n.children.get(path.get(i));
        }
        return n;
    }
}
