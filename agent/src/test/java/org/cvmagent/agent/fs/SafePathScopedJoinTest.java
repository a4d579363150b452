package org.cvmagent.agent.fs;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lexical and symlink-aware resolution of host paths under a root ({@link ScopedPath#join}). */
class SafePathScopedJoinTest {

    @TempDir
    Path dir;

    private Path root;
    private Path outside;
    private List<Path> outsideBefore;

    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectory(dir.resolve("root"));
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("sentinel"), "untouched");
        outsideBefore = listing(outside);
    }

    @AfterEach
    void nothingHappenedOutside() throws IOException {
        assertEquals(outsideBefore, listing(outside));
        assertEquals("untouched", Files.readString(outside.resolve("sentinel")));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" -> root/\"{1}\"")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "../../etc            | etc",
            "/abs                 | abs",
            "a/../../b            | b",
            ".                    | ''",
            "/                    | ''",
            "..                   | ''",
            "../                  | ''",
            "a//b                 | a/b",
            "a/b/                 | a/b",
            "//a///b//            | a/b",
            "./a/./b/.            | a/b",
            "a/b/../c             | a/c",
            "/../../../../x/../y  | y",
            "..a/b..              | ..a/b..",
            "...                  | ...",
            "ünïcødé/文件          | ünïcødé/文件",
            "a\\b                 | a\\b",
    })
    void lexicalCases(String untrusted, String expected) throws IOException {
        Path joined = ScopedPath.join(root, untrusted);
        assertEquals(expected.isEmpty() ? root : root.resolve(expected), joined);
        assertUnderRoot(joined);
    }

    @Test
    void emptyNullNulAndOverlongAreRejectedWithTheReason() throws IOException {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> ScopedPath.join(root, ""));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScopedPath.join(root, null));
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> ScopedPath.join(root, "etc\0/../../passwd"));
        assertTrue(nul.getMessage().contains("NUL"), nul.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> ScopedPath.join(root, "a/".repeat(2048)));
        assertTrue(tooLong.getMessage().contains("limit is 4095"), tooLong.getMessage());
        assertEquals(root.resolve("a"), ScopedPath.join(root, "/".repeat(4094) + "a"));
    }

    @Test
    void relativeRootIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ScopedPath.join(Path.of("rel"), "a"));
    }

    @Test
    void absoluteSymlinkRestartsAtRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("etc-link"), Path.of("/etc"));
        assertEquals(root.resolve("etc/passwd"), checked("etc-link/passwd"));
        assertEquals(root.resolve("etc"), checked("etc-link"));
        // From deeper down too: the target restarts at the root, not at the link's directory.
        Files.createDirectories(root.resolve("a/b"));
        Files.createSymbolicLink(root.resolve("a/b/abs"), Path.of("/target"));
        assertEquals(root.resolve("target/x"), checked("a/b/abs/x"));
    }

    @Test
    void absoluteSymlinkToTheRealOutsideStaysInside() throws IOException {
        Files.createSymbolicLink(root.resolve("evil"), outside);
        Path joined = checked("evil/sentinel");
        assertEquals(root.resolve(Path.of("/").relativize(outside)).resolve("sentinel"), joined);
    }

    @Test
    void relativeSymlinkCannotClimbOut() throws IOException {
        Files.createDirectories(root.resolve("a"));
        Files.createSymbolicLink(root.resolve("a/b"), Path.of("../../outside"));
        Files.createSymbolicLink(root.resolve("up"), Path.of("../../../../../.."));
        assertEquals(root.resolve("outside/sentinel"), checked("a/b/sentinel"));
        assertEquals(root.resolve("x"), checked("up/x"));
        assertEquals(root, checked("up"));
    }

    @Test
    void relativeSymlinkIsAppliedFromItsOwnDirectory() throws IOException {
        Files.createDirectories(root.resolve("a/b/real"));
        Files.createSymbolicLink(root.resolve("a/b/link"), Path.of("real"));
        assertEquals(root.resolve("a/b/real/f"), checked("a/b/link/f"));
    }

    @Test
    void symlinkLoopsFailLikeEloop() throws IOException {
        Files.createSymbolicLink(root.resolve("self"), Path.of("self"));
        Files.createSymbolicLink(root.resolve("l1"), Path.of("l2"));
        Files.createSymbolicLink(root.resolve("l2"), Path.of("/l1"));
        FileSystemLoopException self = assertThrows(FileSystemLoopException.class, () -> ScopedPath.join(root, "self"));
        assertTrue(self.getMessage().contains("too many levels of symbolic links"), self.getMessage());
        assertThrows(FileSystemLoopException.class, () -> ScopedPath.join(root, "l1/x"));
    }

    @Test
    void chainsAreFollowedUpToTheLimit() throws IOException {
        Files.createDirectory(root.resolve("d"));
        Files.createSymbolicLink(root.resolve("c1"), Path.of("c2"));
        Files.createSymbolicLink(root.resolve("c2"), Path.of("/c3"));
        Files.createSymbolicLink(root.resolve("c3"), Path.of("./d/../d"));
        assertEquals(root.resolve("d/x"), checked("c1/x"));

        // n0 -> n1 -> ... -> n{MAX}; following the whole chain from n0 takes MAX links.
        for (int i = 0; i < ScopedPath.MAX_SYMLINKS; i++) {
            Files.createSymbolicLink(root.resolve("n" + i), Path.of("n" + (i + 1)));
        }
        assertEquals(root.resolve("n" + ScopedPath.MAX_SYMLINKS), checked("n0"));
        Files.createSymbolicLink(root.resolve("m"), Path.of("n0"));
        assertThrows(FileSystemLoopException.class, () -> ScopedPath.join(root, "m"));
    }

    @Test
    void symlinkToAFileThenDotDot() throws IOException {
        Files.createDirectories(root.resolve("d"));
        Files.writeString(root.resolve("d/file"), "x");
        Files.createSymbolicLink(root.resolve("f"), Path.of("/d/file"));
        assertEquals(root.resolve("d"), checked("f/.."));
        assertEquals(root, checked("f/../../../.."));
        // A regular file in the middle is kept lexically, as for anything not yet existing.
        assertEquals(root.resolve("d/file/x"), checked("d/file/x"));
    }

    @Test
    void missingComponentsAreKept() throws IOException {
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("/not/yet"));
        assertEquals(root.resolve("not/yet/child"), checked("dangling/child"));
        assertEquals(root.resolve("new/dirs/file"), checked("new/dirs/file"));
    }

    @Test
    void simpleNamesFollowKatasIdRule() {
        for (String ok : List.of("ab", "a1", "0a", "abc_def.ghi-jkl", "a..b", "A-",
                "3f0c8bd6f3b42a6ec1e6f5b0bb4d06d4e22b8a04c2d6a1b5e3c4d5e6f7a8b9c0", "x".repeat(255))) {
            assertEquals(ok, ScopedPath.requireSimpleName(ok));
        }
        for (String bad : List.of("", "a", "..", ".a", "-a", "_a", "a/b", "/ab", "a b", "a\0b", "ab\n",
                "é1", "aé", "x".repeat(256), "a:b", "a\\b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ScopedPath.requireSimpleName(bad), () -> "accepted " + bad);
            assertTrue(e.getMessage().startsWith("invalid id"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ScopedPath.requireSimpleName(null));
    }

    private Path checked(String untrusted) throws IOException {
        Path joined = ScopedPath.join(root, untrusted);
        assertUnderRoot(joined);
        return joined;
    }

    private void assertUnderRoot(Path joined) {
        assertTrue(joined.normalize().startsWith(root), joined + " is not under " + root);
        assertEquals(joined, joined.normalize(), "result must be normalized");
    }

    private static List<Path> listing(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.sorted().toList();
        }
    }
}
