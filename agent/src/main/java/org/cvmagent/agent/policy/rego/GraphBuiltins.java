package org.cvmagent.agent.policy.rego;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * graph.reachable and graph.reachable_paths over a graph given as an object from each node to an
 * array or set of its neighbours. (walk, the third graph builtin, is a relation and lives in the
 * Evaluator.)
 */
final class GraphBuiltins {
    private GraphBuiltins() {
    }

    static void register(Builtins b) {
        b.add("graph.reachable", 2, (a, bu) -> {
            Value.Obj graph = Args.obj("graph.reachable", a, 0);
            Deque<Value> work = new ArrayDeque<>(initial("graph.reachable", a));
            TreeSet<Value> reached = new TreeSet<>();
            while (!work.isEmpty()) {
                bu.step();
                Value v = work.pop();
                Value edges = graph.map().get(v);
                // a node the graph does not list is not reached, even as a starting point
                if (edges == null || !reached.add(v)) {
                    continue;
                }
                work.addAll(neighbours(edges));
            }
            return Values.set(reached);
        });
        b.add("graph.reachable_paths", 2, (a, bu) -> {
            Value.Obj graph = Args.obj("graph.reachable_paths", a, 0);
            TreeSet<Value> paths = new TreeSet<>();
            for (Value start : initial("graph.reachable_paths", a)) {
                visit(graph, start, new ArrayList<>(), new HashSet<>(), paths, bu);
            }
            return Values.set(paths);
        });
    }

    private static List<Value> initial(String fn, List<Value> a) throws RegoException {
        if (!(a.get(1) instanceof Value.Arr || a.get(1) instanceof Value.SetV)) {
            throw Args.typeError(fn, 1, "any of array, set", a.get(1));
        }
        return Args.collection(fn, a, 1);
    }

    private static List<Value> neighbours(Value edges) {
        return switch (edges) {
            case Value.Arr arr -> arr.items();
            case Value.SetV set -> List.copyOf(set.items());
            default -> List.of();
        };
    }

    /**
     * Every path from node that ends where it cannot go on: at a node without neighbours, at one
     * the graph does not list (which is left out of the path), or before a node already on the path.
     */
    private static void visit(Value.Obj graph, Value node, List<Value> path, Set<Value> onPath, Set<Value> paths,
            Budget bu) throws RegoException {
        bu.step();
        Value edges = graph.map().get(node);
        if (edges == null || node.equals(Value.str(""))) {
            if (!path.isEmpty()) {
                paths.add(Values.arr(new ArrayList<>(path)));
            }
            return;
        }
        if (onPath.contains(node)) {
            paths.add(Values.arr(new ArrayList<>(path)));
            return;
        }
        if (!(edges instanceof Value.Arr || edges instanceof Value.SetV || edges instanceof Value.Null)) {
            throw new BuiltinError("eval_type_error: graph.reachable_paths: neighbours of " + Values.toJsonText(node)
                    + " must be an array or set");
        }
        path.add(node);
        onPath.add(node);
        List<Value> next = neighbours(edges);
        if (next.isEmpty()) {
            paths.add(Values.arr(new ArrayList<>(path)));
        }
        for (Value n : next) {
            visit(graph, n, path, onPath, paths, bu);
        }
        onPath.remove(node);
        path.remove(path.size() - 1);
    }
}
