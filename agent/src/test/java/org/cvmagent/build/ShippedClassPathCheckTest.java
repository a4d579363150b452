package org.cvmagent.build;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The build's class-path check (agent/src/build/java, run by the package phase) on made-up jars:
 * our class uses a library class, which uses a class of another library, which refers to an
 * optional extra; each jar left out of lib must fail the check, or not, as its rules say.
 */
class ShippedClassPathCheckTest {

    private static final Path CHECK = Path.of("src/build/java/org/cvmagent/build/ShippedClassPathCheck.java");

    @TempDir
    Path dir;
    private Path ours;
    private Path lib;
    private Path optional;

    @BeforeEach
    void buildJars() throws Exception {
        lib = Files.createDirectories(dir.resolve("lib"));
        Path optionalJar = jar("extra", "com.example.extra.Fancy", "package com.example.extra; public class Fancy {}");
        jar("deep", "com.example.deep.Deep", """
                package com.example.deep;
                public class Deep { public static Object fancy() { return new com.example.extra.Fancy(); } }""");
        jar("lib", "com.example.lib.Helper", """
                package com.example.lib;
                public class Helper { public static Object help() { return com.example.deep.Deep.fancy(); } }""");
        // a library class nothing of ours reaches, referring to a class nobody ships
        jar("unused", "com.example.unused.Stray", """
                package com.example.unused;
                public class Stray { public static Object stray() { return new com.example.extra.Fancy(); } }""");
        ours = jar("agent", "org.cvmagent.fake.Uses", """
                package org.cvmagent.fake;
                public class Uses { public static Object run() { return com.example.lib.Helper.help(); } }""");
        Files.move(ours, dir.resolve("agent.jar"));
        ours = dir.resolve("agent.jar");
        Files.delete(optionalJar); // no library ships com.example.extra
        optional = Files.writeString(dir.resolve("optional.txt"), "# only for a feature we do not use\n");
    }

    @Test
    void passesWhenEverythingReachableResolvesAndIgnoresUnreachableLibraryCode() throws Exception {
        Files.writeString(optional, "com.example.extra.   # Deep's fancy mode\n");
        Result r = check();
        assertEquals(0, r.status, r.output);
        assertTrue(r.output.contains("every class reachable from org.cvmagent.* resolves"), r.output);
    }

    @Test
    void aLibraryOurCodeUsesDirectlyMustBeShipped() throws Exception {
        Files.delete(lib.resolve("lib.jar"));
        Files.writeString(optional, "com.example.\n"); // never excuses our own references
        Result r = check();
        assertEquals(1, r.status, r.output);
        assertTrue(r.output.contains("com.example.lib.Helper not found, needed by org.cvmagent.fake.Uses"), r.output);
    }

    @Test
    void aLibraryOfALibraryMustBeShipped() throws Exception {
        Files.delete(lib.resolve("deep.jar"));
        Result r = check();
        assertEquals(1, r.status, r.output);
        assertTrue(r.output.contains("com.example.deep.Deep not found, needed by com.example.lib.Helper"
                + " <- org.cvmagent.fake.Uses"), r.output);
    }

    @Test
    void anUnlistedOptionalExtraFails() throws Exception {
        Result r = check();
        assertEquals(1, r.status, r.output);
        assertTrue(r.output.contains("com.example.extra.Fancy not found, needed by com.example.deep.Deep"
                + " <- com.example.lib.Helper <- org.cvmagent.fake.Uses"), r.output);
        assertTrue(!r.output.contains("Stray"), "unreachable library code is not checked: " + r.output);
    }

    private record Result(int status, String output) {
    }

    private Result check() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                CHECK.toString(), ours.toString(), lib.toString(), optional.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the check did not finish: " + output);
        return new Result(p.exitValue(), output);
    }

    /** Compiles one class against the jars in lib and packs it as lib/NAME.jar. */
    private Path jar(String name, String className, String source) throws IOException {
        Path src = dir.resolve("src-" + name).resolve(className.replace('.', '/') + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path classes = Files.createDirectories(dir.resolve("classes-" + name));
        String classPath;
        try (Stream<Path> jars = Files.list(lib)) {
            classPath = String.join(":", jars.map(Path::toString).toList());
        }
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-d", classes.toString(), "-cp", classPath, src.toString());
        assertEquals(0, status, "javac " + src);
        Path jar = lib.resolve(name + ".jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString()));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }
}
