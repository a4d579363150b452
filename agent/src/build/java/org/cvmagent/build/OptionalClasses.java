package org.cvmagent.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Classes a third-party library in the shipped class path refers to but only needs for features we
 * do not use, listed by name prefix in a file (one a line, {@code #} comments saying why).
 */
record OptionalClasses(List<String> prefixes) {

    static OptionalClasses read(Path file) throws IOException {
        return new OptionalClasses(Files.readAllLines(file).stream()
                .map(line -> line.replaceFirst("#.*", "").strip())
                .filter(line -> !line.isEmpty())
                .toList());
    }

    boolean contains(String className) {
        return prefixes.stream().anyMatch(className::startsWith);
    }
}
