package org.cvmagent.agent.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves a path the host named so that the result stays inside a root directory.
 *
 * <p>The semantics are those of filepath-securejoin: the untrusted path is read as if {@code root}
 * were {@code /}. A leading {@code /} means the root, {@code ..} never climbs above it, and each
 * existing component that is a symbolic link is expanded as the kernel would inside a chroot at
 * {@code root} (an absolute target restarts at the root, a relative one continues from the link's
 * directory). Components that do not exist yet are kept as they are, so the result may name
 * something the caller is about to create.
 *
 * <p>This is a check of the file system at one moment: a host that can change the tree between this
 * call and the use of its result can still redirect the use. Where that matters (anything created
 * or written), use {@link ConfinedRoot}, which lets the kernel enforce the same rule at open time.
 */
public final class ScopedPath {

    /** Symbolic links followed in one resolution before giving up; Linux's MAXSYMLINKS is 40. */
    static final int MAX_SYMLINKS = 40;

    /** Linux's PATH_MAX, counting the terminating NUL. */
    static final int PATH_MAX = 4096;

    /** Longest identifier accepted: one path component (NAME_MAX) is the hard limit. */
    static final int MAX_NAME_LENGTH = 255;

    private ScopedPath() {
    }

    /**
     * The path {@code untrusted} names inside {@code root}, always {@code root} or a descendant.
     *
     * @param root an absolute directory the agent trusts (it is not itself resolved)
     * @param untrusted a path from the host, relative or absolute, interpreted beneath {@code root}
     * @throws IllegalArgumentException if {@code untrusted} is empty, holds a NUL byte or is longer
     *         than PATH_MAX, or
     *         {@code root} is not absolute
     * @throws FileSystemLoopException if more than {@value #MAX_SYMLINKS} symbolic links are met
     * @throws IOException if a component cannot be examined for another reason than not existing
     */
    public static Path join(Path root, String untrusted) throws IOException {
        requireUsable(untrusted);
        if (!root.isAbsolute()) {
            throw new IllegalArgumentException("scope root must be an absolute path, got " + root);
        }
        Path base = root.normalize();
        Deque<String> pending = new ArrayDeque<>(components(untrusted));
        List<String> resolved = new ArrayList<>();
        int linksFollowed = 0;
        while (!pending.isEmpty()) {
            String name = pending.removeFirst();
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                // Above the root is the root, as in a chroot.
                if (!resolved.isEmpty()) {
                    resolved.removeLast();
                }
                continue;
            }
            Path candidate = under(base, resolved).resolve(name);
            if (!isSymbolicLink(candidate)) {
                resolved.add(name);
                continue;
            }
            if (++linksFollowed > MAX_SYMLINKS) {
                throw new FileSystemLoopException("resolving " + quote(untrusted) + " under " + base
                        + ": too many levels of symbolic links (more than " + MAX_SYMLINKS + ")");
            }
            String target = Files.readSymbolicLink(candidate).toString();
            if (target.startsWith("/")) {
                resolved.clear();
            }
            List<String> expansion = components(target);
            for (int i = expansion.size() - 1; i >= 0; i--) {
                pending.addFirst(expansion.get(i));
            }
        }
        Path result = under(base, resolved);
        // Every kept component is a plain name, so this cannot fail; it guards future edits.
        if (!result.normalize().startsWith(base)) {
            throw new IllegalStateException("scoped join left its root: " + result + " is not under " + base);
        }
        return result;
    }

    /**
     * Checks an identifier the host chose that will become one path component, such as a container
     * or exec id. Kata's rule is {@code ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$}; this applies it to ASCII
     * only (Kata's Rust check also lets non-ASCII letters through) and bounds the length by
     * NAME_MAX, so the name can neither be {@code .}/{@code ..}, nor hold a separator, nor be too
     * long to create.
     *
     * @return {@code id}, for use in expressions
     * @throws IllegalArgumentException naming the rule that {@code id} breaks
     */
    public static String requireSimpleName(String id) {
        if (id == null || id.length() < 2) {
            throw new IllegalArgumentException("invalid id " + quote(id)
                    + ": must be at least 2 characters matching ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
        }
        if (id.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("invalid id " + quote(id.substring(0, 32)) + "...: longer than "
                    + MAX_NAME_LENGTH + " characters");
        }
        if (!isAsciiAlphanumeric(id.charAt(0))) {
            throw new IllegalArgumentException("invalid id " + quote(id)
                    + ": must start with an ASCII letter or digit");
        }
        for (int i = 1; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!isAsciiAlphanumeric(c) && c != '_' && c != '.' && c != '-') {
                throw new IllegalArgumentException("invalid id " + quote(id) + ": character "
                        + String.format("U+%04X", (int) c) + " at index " + i
                        + " is not an ASCII letter, digit, '_', '.' or '-'");
            }
        }
        return id;
    }

    /**
     * Rejects what can never name a file: null, empty text, NUL (which C would cut at), and text
     * longer than the kernel's PATH_MAX (which also bounds the work one host request can cause).
     */
    static void requireUsable(String untrusted) {
        if (untrusted == null || untrusted.isEmpty()) {
            throw new IllegalArgumentException("path must not be empty");
        }
        int bytes = untrusted.getBytes(StandardCharsets.UTF_8).length;
        if (bytes >= PATH_MAX) {
            throw new IllegalArgumentException("path is " + bytes + " bytes long; the limit is " + (PATH_MAX - 1));
        }
        int nul = untrusted.indexOf('\0');
        if (nul >= 0) {
            throw new IllegalArgumentException("path must not contain a NUL byte (found at index " + nul + ")");
        }
    }

    /** The components of a slash-separated path, including empty ones and dots, in order. */
    public static List<String> components(String path) {
        return List.of(path.split("/", -1));
    }

    private static Path under(Path base, List<String> names) {
        Path p = base;
        for (String name : names) {
            p = p.resolve(name);
        }
        return p;
    }

    private static boolean isSymbolicLink(Path candidate) throws IOException {
        try {
            return Files.readAttributes(candidate, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .isSymbolicLink();
        } catch (NoSuchFileException | NotDirectoryException e) {
            // Not there (or a parent is a file): the rest is kept lexically, as securejoin does.
            return false;
        } catch (FileSystemException e) {
            if ("Not a directory".equals(e.getReason())) {
                return false;
            }
            throw e;
        }
    }

    private static boolean isAsciiAlphanumeric(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static String quote(String s) {
        return s == null ? "null" : '"' + s + '"';
    }
}
