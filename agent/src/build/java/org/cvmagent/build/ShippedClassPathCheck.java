package org.cvmagent.build;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * Fails the build when a class our code needs is missing from the shipped class path (the agent's
 * jar plus {@code target/lib}, which the launchers and the guest image run with): a dependency
 * whose scope keeps it out of {@code lib} otherwise shows up only as a NoClassDefFoundError when a
 * user reaches that code.
 * <p>
 * jdeps lists every class reference in those jars. Starting from our classes ({@code org.cvmagent.*})
 * and following references into the libraries, every class reached must be found, except classes
 * a library uses only for a feature we do not use, which the optional-classes file names (with
 * why). Those are never excused when our own code refers to them. Third-party code that our
 * classes cannot reach is not checked: libraries are full of references to optional extras.
 * <p>
 * Usage: {@code java ShippedClassPathCheck.java AGENT_JAR LIB_DIR OPTIONAL_CLASSES_FILE}; exit 1
 * with one line per missing class and the chain of references that needs it.
 */
public final class ShippedClassPathCheck {

    private static final String OURS = "org.cvmagent.";

    private ShippedClassPathCheck() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: ShippedClassPathCheck AGENT_JAR LIB_DIR OPTIONAL_CLASSES_FILE");
            System.exit(2);
        }
        List<Path> jars = new ArrayList<>();
        jars.add(Path.of(args[0]));
        try (Stream<Path> lib = Files.list(Path.of(args[1]))) {
            lib.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(jars::add);
        }
        ClassReferences references = ClassReferences.parse(jdeps(jars));
        if (references.isEmpty()) {
            System.err.println("shipped class path: jdeps read no classes from " + jars);
            System.exit(1);
        }
        OptionalClasses optional = OptionalClasses.read(Path.of(args[2]));
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : references.missingReachableFrom(c -> c.startsWith(OURS)).entrySet()) {
            List<String> chain = e.getValue();
            boolean ourOwnReference = chain.get(chain.size() - 2).startsWith(OURS);
            if (ourOwnReference || !optional.contains(e.getKey())) {
                problems.add(e.getKey() + " not found, needed by " + String.join(" <- ", chain.reversed().subList(1, chain.size())));
            }
        }
        if (!problems.isEmpty()) {
            System.err.println("shipped class path (" + args[1] + ") lacks classes the agent's code needs"
                    + " (a dependency with the wrong scope?):");
            problems.forEach(p -> System.err.println("  " + p));
            System.exit(1);
        }
        System.out.println("shipped class path: every class reachable from " + OURS + "* resolves ("
                + jars.size() + " jars)");
    }

    /** {@code jdeps -verbose:class} over all the jars, in this JVM (the JDK that builds runs the check). */
    private static String jdeps(List<Path> jars) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new IllegalStateException("no jdeps in " + System.getProperty("java.home")));
        List<String> args = new ArrayList<>(List.of("--multi-release", Integer.toString(Runtime.version().feature()),
                "-verbose:class"));
        jars.forEach(j -> args.add(j.toString()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = jdeps.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        if (status != 0) {
            throw new IllegalStateException("jdeps failed (" + status + "): " + err + out);
        }
        return out.toString();
    }
}
