package org.cvmagent.agent.fs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Creating directories and files beneath a root fd with openat2 ({@link ConfinedRoot}). */
class SafePathConfinedRootTest {

    @TempDir
    Path dir;

    private Path root;
    private Path outside;
    private List<Path> outsideBefore;
    private ConfinedRoot confined;

    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectory(dir.resolve("root"));
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("sentinel"), "untouched");
        outsideBefore = listing(outside);
        confined = ConfinedRoot.open(root);
    }

    @AfterEach
    void nothingHappenedOutside() throws IOException {
        confined.close();
        assertEquals(outsideBefore, listing(outside));
        assertEquals("untouched", Files.readString(outside.resolve("sentinel")));
    }

    @Test
    void mkdirsCreatesEveryMissingComponent() throws IOException {
        try (OpenFd d = confined.mkdirs("a/b/c", 0755)) {
            assertEquals(root.resolve("a/b/c"), d.realPath());
        }
        assertTrue(Files.isDirectory(root.resolve("a/b/c")));
        try (OpenFd again = confined.mkdirs("/a//b/./c/", 0755)) {
            assertEquals(root.resolve("a/b/c"), again.realPath());
        }
    }

    @Test
    void mkdirsOfTheRootItself() throws IOException {
        for (String same : List.of("/", ".", "..", "../../..", "//")) {
            try (OpenFd d = confined.mkdirs(same, 0755)) {
                assertEquals(root, d.realPath(), same);
            }
        }
    }

    @Test
    void dotDotCannotClimbOut() throws IOException {
        // One level up is the temporary directory holding 'outside', so a broken implementation
        // creates dir/outside/x, which the sentinel check sees, and never touches the real '/'.
        try (OpenFd d = confined.mkdirs("../outside/x", 0755)) {
            assertEquals(root.resolve("outside/x"), d.realPath());
        }
    }

    @Test
    void mkdirsThroughAnAbsoluteSymlinkStaysInside() throws IOException {
        Files.createSymbolicLink(root.resolve("evil"), outside);
        try (OpenFd d = confined.mkdirs("evil/sub", 0755)) {
            Path real = d.realPath();
            assertTrue(real.startsWith(root), real.toString());
            assertEquals(root.resolve(Path.of("/").relativize(outside)).resolve("sub"), real);
        }
    }

    @Test
    void mkdirsThroughAClimbingRelativeSymlinkStaysInside() throws IOException {
        Files.createDirectories(root.resolve("a"));
        // Climbs exactly to the temporary directory: a broken implementation would create dir/x.
        Files.createSymbolicLink(root.resolve("a/up"), Path.of("../.."));
        Files.createSymbolicLink(root.resolve("a/out"), Path.of("../../outside"));
        try (OpenFd d = confined.mkdirs("a/up/x", 0755); OpenFd o = confined.mkdirs("a/out/y", 0755)) {
            assertEquals(root.resolve("x"), d.realPath());
            assertEquals(root.resolve("outside/y"), o.realPath());
        }
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void mkdirsThroughADanglingSymlinkCreatesItsTargetInside() throws IOException {
        Files.createSymbolicLink(root.resolve("dangling"), outside.resolve("missing"));
        Files.createDirectories(root.resolve("a"));
        Files.createSymbolicLink(root.resolve("a/rel"), Path.of("../b/c"));
        try (OpenFd d = confined.mkdirs("dangling/x", 0755); OpenFd r = confined.mkdirs("a/rel/y", 0755)) {
            assertEquals(root.resolve(Path.of("/").relativize(outside)).resolve("missing/x"), d.realPath());
            assertEquals(root.resolve("b/c/y"), r.realPath());
        }
        // The same place ScopedPath.join names for it.
        assertEquals(ScopedPath.join(root, "dangling/x"), root.resolve(Path.of("/").relativize(outside))
                .resolve("missing/x"));
    }

    @Test
    void danglingSymlinkChainsAreBounded() throws IOException {
        // d0 -> d1 -> ... each missing when first met, so mkdirs itself follows them.
        for (int i = 0; i <= ScopedPath.MAX_SYMLINKS; i++) {
            Files.createSymbolicLink(root.resolve("d" + i), Path.of("d" + (i + 1)));
        }
        IOException e = assertThrows(IOException.class, () -> confined.mkdirs("d0", 0755));
        assertTrue(e.getMessage().toLowerCase().contains("too many levels of symbolic links"), e.getMessage());
    }

    @Test
    void mkdirsOverAFileFailsClearly() throws IOException {
        Files.writeString(root.resolve("file"), "x");
        IOException e = assertThrows(IOException.class, () -> confined.mkdirs("file/x", 0755));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void symlinkLoopFailsWithTheErrnoText() throws IOException {
        Files.createSymbolicLink(root.resolve("l1"), Path.of("l2"));
        Files.createSymbolicLink(root.resolve("l2"), Path.of("/l1"));
        IOException e = assertThrows(IOException.class, () -> confined.mkdirs("l1/x", 0755));
        assertTrue(e.getMessage().contains("Too many levels of symbolic links"), e.getMessage());
        assertTrue(e.getMessage().contains(root.toString()), e.getMessage());
    }

    @Test
    void fileIsCreatedAndWrittenBeneathTheRoot() throws IOException {
        try (OpenFd d = confined.mkdirs("etc/app", 0755)) {
            assertTrue(Files.isDirectory(d.realPath()));
        }
        try (OpenFd f = confined.openForWriting("/etc/app/conf", 0644, true)) {
            f.write("hello ".getBytes(StandardCharsets.UTF_8), 0);
            f.write("world".getBytes(StandardCharsets.UTF_8), 6);
            assertEquals(root.resolve("etc/app/conf"), f.realPath());
        }
        assertEquals("hello world", Files.readString(root.resolve("etc/app/conf")));
        try (OpenFd f = confined.openForWriting("etc/app/conf", 0644, true)) {
            f.write("new".getBytes(StandardCharsets.UTF_8), 0);
        }
        assertEquals("new", Files.readString(root.resolve("etc/app/conf")));
    }

    @Test
    void existingFileIsKeptWithoutTruncate() throws IOException {
        Files.writeString(root.resolve("log"), "0123456789");
        try (OpenFd f = confined.openForWriting("log", 0644, false)) {
            f.write("ab".getBytes(StandardCharsets.UTF_8), 4);
        }
        assertEquals("0123ab6789", Files.readString(root.resolve("log")));
    }

    @Test
    void fifosAndDevicesAreRefusedBeforeBeingOpened() throws Exception {
        run("mkfifo", root.resolve("fifo").toString());
        run("mknod", root.resolve("null").toString(), "c", "1", "3");
        for (String special : List.of("fifo", "null")) {
            // A FIFO opened for writing with no reader would block: the timeout turns that into a failure.
            IOException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThrows(IOException.class, () -> confined.openForWriting(special, 0644, true)));
            assertTrue(e.getMessage().contains("is not a regular file"), e.getMessage());
        }
    }

    @Test
    void unicodeNamesAreKept() throws IOException {
        try (OpenFd f = confined.openForWriting("文件-ü.txt", 0600, false)) {
            assertEquals(root.resolve("文件-ü.txt"), f.realPath());
        }
        assertTrue(Files.exists(root.resolve("文件-ü.txt")));
    }

    @Test
    void fileThroughAnAbsoluteSymlinkedParentStaysInside() throws IOException {
        Files.createSymbolicLink(root.resolve("evil"), outside);
        IOException missing = assertThrows(IOException.class,
                () -> confined.openForWriting("evil/sentinel", 0644, true));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

        confined.mkdirs("evil", 0755).close();
        try (OpenFd f = confined.openForWriting("evil/sentinel", 0644, true)) {
            f.write("inside".getBytes(StandardCharsets.UTF_8), 0);
            assertTrue(f.realPath().startsWith(root), f.realPath().toString());
        }
    }

    @Test
    void lastComponentSymlinkIsNeverWrittenThrough() throws IOException {
        Files.createSymbolicLink(root.resolve("abs"), outside.resolve("sentinel"));
        Files.createSymbolicLink(root.resolve("rel"), Path.of("../outside/sentinel"));
        Files.createSymbolicLink(root.resolve("inner"), Path.of("target"));
        for (String link : List.of("abs", "/rel", "inner")) {
            IOException e = assertThrows(IOException.class, () -> confined.openForWriting(link, 0644, true));
            assertTrue(e.getMessage().contains("is a symbolic link; refusing"), e.getMessage());
        }
        assertFalse(Files.exists(root.resolve("target")));
    }

    @Test
    void pathsThatNameNoFileAreRejected() {
        for (String bad : List.of("dir/", "..", "a/.", "/")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> confined.openForWriting(bad, 0644, true));
            assertTrue(e.getMessage().contains("names a directory"), e.getMessage());
        }
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> confined.openForWriting("a\0/../../x", 0644, true));
        assertTrue(nul.getMessage().contains("NUL"), nul.getMessage());
        assertThrows(IllegalArgumentException.class, () -> confined.mkdirs("", 0755));
    }

    @Test
    void kernelWithoutOpenat2FailsClosed() {
        // A syscall number no kernel has stands in for a kernel older than 5.6.
        FsLibc noOpenat2 = FsLibc.load(100_000);
        IOException e = assertThrows(IOException.class, () -> ConfinedRoot.open(noOpenat2, root));
        assertTrue(e.getMessage().contains("no openat2(2)"), e.getMessage());
    }

    @Test
    void closedDescriptorsCannotBeUsed() throws IOException {
        OpenFd d = confined.mkdirs("x", 0755);
        d.close();
        d.close();
        assertThrows(IllegalStateException.class, d::number);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", command));
    }

    private static List<Path> listing(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.sorted().toList();
        }
    }
}
