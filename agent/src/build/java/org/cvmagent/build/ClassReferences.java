package org.cvmagent.build;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The class-to-class references jdeps found in a set of jars ({@code jdeps -verbose:class}), with
 * the referenced classes it could not find anywhere in those jars or the JDK.
 */
final class ClassReferences {

    /**
     * One reference line: {@code   [11/]from.Class   -> to.Class   where}. A multi-release jar's
     * versioned classes carry their release as a prefix, which names the same class.
     */
    private static final Pattern REFERENCE = Pattern.compile("^\\s+(?:\\d+/)?(\\S+)\\s+->\\s+(\\S+)\\s+(.+?)\\s*$");
    private static final String NOT_FOUND = "not found";

    private final Map<String, Set<String>> references;
    private final Set<String> missing;

    private ClassReferences(Map<String, Set<String>> references, Set<String> missing) {
        this.references = references;
        this.missing = missing;
    }

    static ClassReferences parse(String jdepsVerboseClassOutput) {
        Map<String, Set<String>> references = new HashMap<>();
        Set<String> missing = new LinkedHashSet<>();
        for (String line : jdepsVerboseClassOutput.lines().toList()) {
            Matcher m = REFERENCE.matcher(line);
            if (m.matches()) {
                references.computeIfAbsent(m.group(1), k -> new LinkedHashSet<>()).add(m.group(2));
                if (m.group(3).equals(NOT_FOUND)) {
                    missing.add(m.group(2));
                }
            }
        }
        return new ClassReferences(references, missing);
    }

    /** Whether any class at all was read (an empty analysis proves nothing). */
    boolean isEmpty() {
        return references.isEmpty();
    }

    /**
     * Every missing class reachable from a root class by following references, each with the
     * shortest chain of references that reaches it (root first), ordered by name.
     */
    Map<String, List<String>> missingReachableFrom(Predicate<String> root) {
        Map<String, String> reachedFrom = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>();
        for (String c : references.keySet()) {
            if (root.test(c)) {
                reachedFrom.put(c, null);
                queue.add(c);
            }
        }
        while (!queue.isEmpty()) { // breadth first, so every chain is a shortest one
            String c = queue.removeFirst();
            for (String next : references.getOrDefault(c, Set.of())) {
                if (!reachedFrom.containsKey(next)) {
                    reachedFrom.put(next, c);
                    queue.addLast(next);
                }
            }
        }
        Map<String, List<String>> result = new TreeMap<>();
        for (String m : missing) {
            if (reachedFrom.containsKey(m)) {
                List<String> chain = new ArrayList<>();
                for (String c = m; c != null; c = reachedFrom.get(c)) {
                    chain.addFirst(c);
                }
                result.put(m, chain);
            }
        }
        return result;
    }
}
