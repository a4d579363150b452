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
        /** "default p[k] = v" with a constant k: the entry p has for k when no other rule gives one. */
        final List<Ast.Rule> defaultEntries = new ArrayList<>();
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
    /** Per module: its package's node and the names its calls may use for each function. */
    private final Map<Ast.Module, Node> packages = new java.util.IdentityHashMap<>();
    private final Map<Ast.Module, Map<String, Node>> functions = new java.util.IdentityHashMap<>();
    /** Per module: a hash index of its package node's children (local() runs for every rule reference). */
    private final Map<Ast.Module, Map<String, Node>> locals = new java.util.IdentityHashMap<>();
    /** The module local() answered for last, with its index: queries nearly always stay in one module. */
    private Local lastLocal;
    /** The same for function(). */
    private Local lastFunctions;

    private record Local(Ast.Module module, Map<String, Node> names) {
    }

    /** Indexes names once all modules are added; the tree is read-only afterwards. */
    void seal(List<Ast.Module> modules) {
        List<Node> fns = new ArrayList<>();
        collectFunctions(root, fns);
        for (Ast.Module m : modules) {
            // a package with no rules still exists as an empty document
            Node pkg = root;
            for (int i = 1; i < m.pkg().size(); i++) {
                Node parent = pkg;
                int depth = i + 1;
                pkg = pkg.children.computeIfAbsent(m.pkg().get(i), x -> new Node(List.copyOf(m.pkg().subList(0, depth))));
            }
            packages.put(m, pkg);
            Map<String, Node> names = new java.util.HashMap<>();
            for (Node f : fns) {
                names.put(String.join(".", f.path), f);
                if (f.path.size() > m.pkg().size() && f.path.subList(0, m.pkg().size()).equals(m.pkg())) {
                    names.put(String.join(".", f.path.subList(m.pkg().size(), f.path.size())), f);
                }
            }
            // an import alias shadows a package-local name
            for (Node f : fns) {
                for (Map.Entry<String, List<String>> imp : m.imports().entrySet()) {
                    List<String> target = imp.getValue();
                    if (f.path.equals(target)) {
                        names.put(imp.getKey(), f);
                    }
                    if (f.path.size() > target.size() && f.path.subList(0, target.size()).equals(target)) {
                        names.put(imp.getKey() + "." + String.join(".", f.path.subList(target.size(),
                                f.path.size())), f);
                    }
                }
            }
            functions.put(m, names);
        }
        for (Map.Entry<Ast.Module, Node> e : packages.entrySet()) {
            locals.put(e.getKey(), new java.util.HashMap<>(e.getValue().children));
        }
    }

    private static void collectFunctions(Node n, List<Node> out) {
        if (n.kind == Ast.Kind.FUNCTION) {
            out.add(n);
        }
        n.children.values().forEach(c -> collectFunctions(c, out));
    }

    /** The node of a rule or package named `name` in module m's package, or null. */
    Node local(Ast.Module m, String name) {
        Local last = lastLocal;
        if (last == null || last.module() != m) {
            Map<String, Node> names = locals.get(m);
            if (names == null) {
                Node pkg = packages.get(m);
                return pkg == null ? null : pkg.children.get(name);
            }
            // a racing thread may overwrite this with its own module; both entries are correct
            last = new Local(m, names);
            lastLocal = last;
        }
        return last.names().get(name);
    }

    /** The user function a call named `name` in module m refers to, or null. */
    Node function(Ast.Module m, String name) {
        Local last = lastFunctions;
        if (last == null || last.module() != m) {
            Map<String, Node> names = functions.get(m);
            if (names == null) {
                return null;
            }
            last = new Local(m, names);
            lastFunctions = last;
        }
        return last.names().get(name);
    }

    /** Replaces every rule by its compiled form; runs once, after seal and before any query. */
    void layOut(java.util.function.UnaryOperator<Ast.Rule> compile) {
        layOut(root, compile);
    }

    private static void layOut(Node n, java.util.function.UnaryOperator<Ast.Rule> compile) {
        n.rules.replaceAll(compile);
        n.defaultEntries.replaceAll(compile);
        if (n.defaultRule != null) {
            n.defaultRule = compile.apply(n.defaultRule);
        }
        n.children.values().forEach(c -> layOut(c, compile));
    }

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
        if (r.isDefault() && r.kind() == Ast.Kind.PARTIAL_OBJECT) {
            n.defaultEntries.add(r);
        } else if (r.isDefault()) {
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
