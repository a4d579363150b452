package org.cvmagent.agent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the cgroups of a process: its membership from {@code /proc/<pid>/cgroup} (one line
 * {@code hierarchy-id:controllers:path} per hierarchy; {@code 0::path} for cgroup v2), joined with
 * the cgroup mounts of the agent's own mount namespace, because the directories must be reachable
 * from here, not from inside the container.
 *
 * <p>The path in {@code /proc/<pid>/cgroup} is relative to the hierarchy's root, and a mount may
 * show only a sub-tree of the hierarchy (mountinfo's root field, e.g. inside another container);
 * the directory is the mount point plus the path below that root. A hierarchy whose mounted
 * sub-tree does not contain the process's cgroup is skipped.
 */
public final class CgroupLocator {

    private final Path procRoot;
    private final Path mountInfo;

    /**
     * @param procRoot  normally {@code /proc}; {@code <procRoot>/<pid>/cgroup} is read
     * @param mountInfo normally {@code /proc/self/mountinfo}
     */
    public CgroupLocator(Path procRoot, Path mountInfo) {
        this.procRoot = procRoot;
        this.mountInfo = mountInfo;
    }

    /** The locator of this system: {@code /proc} and the agent's own mountinfo. */
    public static CgroupLocator system() {
        return new CgroupLocator(Path.of("/proc"), Path.of("/proc/self/mountinfo"));
    }

    /**
     * @throws NoSuchFileException when the process does not exist (any more)
     * @throws IOException         when proc cannot be read
     */
    public CgroupPaths locate(long pid) throws IOException {
        if (pid <= 0) {
            throw new IllegalArgumentException("not a pid: " + pid);
        }
        String membership = Files.readString(procRoot.resolve(Long.toString(pid)).resolve("cgroup"));
        MountInfo mounts = MountInfo.parse(Files.readString(mountInfo));
        Path unified = null;
        Map<String, Path> controllers = new HashMap<>();
        for (String line : membership.split("\n")) {
            // The path may itself contain ':' so split into three fields only.
            String[] fields = line.split(":", 3);
            if (fields.length != 3) {
                continue;
            }
            String path = fields[2];
            if (fields[0].equals("0") && fields[1].isEmpty()) {
                for (MountInfo.Mount mount : mounts.cgroupMounts()) {
                    if (mount.unified()) {
                        Optional<Path> dir = below(mount, path);
                        if (dir.isPresent()) {
                            unified = dir.get();
                            break;
                        }
                    }
                }
                continue;
            }
            for (String controller : fields[1].split(",")) {
                if (controller.isEmpty() || controllers.containsKey(controller)) {
                    continue;
                }
                for (MountInfo.Mount mount : mounts.cgroupMounts()) {
                    if (!mount.unified() && mount.controllers().contains(controller)) {
                        Optional<Path> dir = below(mount, path);
                        if (dir.isPresent()) {
                            controllers.put(controller, dir.get());
                            break;
                        }
                    }
                }
            }
        }
        return new CgroupPaths(Optional.ofNullable(unified), controllers);
    }

    /** The directory of cgroup {@code path} under {@code mount}, when the mounted sub-tree holds it. */
    private static Optional<Path> below(MountInfo.Mount mount, String path) {
        String root = mount.root();
        String relative;
        if (root.equals("/")) {
            relative = path;
        } else if (path.equals(root)) {
            relative = "";
        } else if (path.startsWith(root + "/")) {
            relative = path.substring(root.length());
        } else {
            return Optional.empty();
        }
        String stripped = relative.replaceFirst("^/+", "");
        if (stripped.equals("..") || stripped.startsWith("../") || stripped.contains("/../") || stripped.endsWith("/..")) {
            // Seen for processes in a cgroup outside our cgroup namespace: not reachable here.
            return Optional.empty();
        }
        Path mountPoint = Path.of(mount.mountPoint());
        return Optional.of(stripped.isEmpty() ? mountPoint : mountPoint.resolve(stripped));
    }
}
