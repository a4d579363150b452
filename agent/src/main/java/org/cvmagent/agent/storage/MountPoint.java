package org.cvmagent.agent.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A host-named mount point checked lexically against the sandbox root: absolute, no {@code ..}
 * component, strictly beneath the root. This is only the first gate; the directory itself is then
 * created and opened with the kernel confining every lookup to the root, which is what stops
 * symbolic links.
 *
 * @param normalized the mount point with empty and {@code .} components dropped, e.g.
 *                   {@code /run/kata-containers/shared/x}; the key for reference counting
 * @param relative   the same path relative to the root, e.g. {@code shared/x}
 * @param parent     {@link #relative}'s parent, {@code .} for a direct child of the root
 * @param name       the last component
 */
record MountPoint(String normalized, String relative, String parent, String name) {

    /** PATH_MAX: a longer name could not be used by the kernel anyway. */
    private static final int PATH_MAX = 4096;

    /**
     * @throws IllegalArgumentException saying what is wrong, for an INVALID_ARGUMENT
     */
    static MountPoint of(Path root, String mountPoint) {
        if (mountPoint == null || mountPoint.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        if (mountPoint.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("must not contain a NUL byte");
        }
        if (mountPoint.getBytes(StandardCharsets.UTF_8).length >= PATH_MAX) {
            throw new IllegalArgumentException("is longer than " + (PATH_MAX - 1) + " bytes");
        }
        if (!mountPoint.startsWith("/")) {
            throw new IllegalArgumentException(quote(mountPoint) + " is not an absolute path");
        }
        List<String> names = names(mountPoint);
        if (names.contains("..")) {
            throw new IllegalArgumentException(quote(mountPoint) + " has a \"..\" component");
        }
        List<String> rootNames = names(root.toString());
        if (names.size() <= rootNames.size() || !names.subList(0, rootNames.size()).equals(rootNames)) {
            throw new IllegalArgumentException(quote(mountPoint) + " is not beneath the sandbox root " + root);
        }
        List<String> below = names.subList(rootNames.size(), names.size());
        String parent = below.size() == 1 ? "." : String.join("/", below.subList(0, below.size() - 1));
        return new MountPoint("/" + String.join("/", names), String.join("/", below), parent, below.getLast());
    }

    private static List<String> names(String path) {
        List<String> names = new ArrayList<>();
        for (String name : path.split("/")) {
            if (!name.isEmpty() && !name.equals(".")) {
                names.add(name);
            }
        }
        return names;
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }
}
