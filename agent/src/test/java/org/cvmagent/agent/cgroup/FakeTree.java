package org.cvmagent.agent.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes fake proc and cgroupfs files under a test's temporary directory. */
final class FakeTree {

    private final Path root;

    FakeTree(Path root) {
        this.root = root;
    }

    /** Writes {@code relative} (creating its parents) and returns its directory. */
    Path write(String relative, String content) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file.getParent();
    }

    /** A process {@code pid} whose /proc/pid/cgroup is {@code membership}, and the agent's mountinfo. */
    CgroupLocator locator(long pid, String membership, String mountInfo) {
        write("proc/" + pid + "/cgroup", membership);
        write("proc/self/mountinfo", mountInfo);
        return new CgroupLocator(root.resolve("proc"), root.resolve("proc/self/mountinfo"));
    }

    /** A mountinfo line of a cgroup v1 hierarchy with {@code options} (e.g. {@code rw,memory}) mounted at {@code mountPoint}. */
    static String v1Mount(int id, String root, String mountPoint, String options) {
        return id + " 31 0:" + id + " " + root + " " + mountPoint + " rw,nosuid,nodev,noexec,relatime shared:" + id
                + " - cgroup cgroup " + options + "\n";
    }

    static String v2Mount(int id, String root, String mountPoint) {
        return id + " 23 0:" + id + " " + root + " " + mountPoint + " rw,nosuid,nodev,noexec,relatime shared:" + id
                + " - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
    }
}
