package org.cvmagent.agent.cgroup;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where one process's cgroups are in the agent's mount namespace.
 *
 * <p>On a cgroup v1 (or hybrid) host {@code controllers} maps each v1 controller name
 * ({@code memory}, {@code cpuacct}, {@code pids}, …) to its directory; {@code unified} is the
 * cgroup v2 directory when a cgroup2 hierarchy is mounted (on a hybrid host it carries no
 * resource controllers). On a pure cgroup v2 system {@code controllers} is empty.
 *
 * @param unified     the process's cgroup v2 directory, if a cgroup2 hierarchy is mounted
 * @param controllers v1 controller name → directory
 */
public record CgroupPaths(Optional<Path> unified, Map<String, Path> controllers) {

    public CgroupPaths {
        controllers = Map.copyOf(controllers);
    }

    /** Whether stats and OOM events come from v1 controllers (kata decides the same way: v1 as soon as any v1 controller is mounted). */
    public boolean isV1() {
        return !controllers.isEmpty();
    }

    /** The directory of a v1 controller of this process. */
    public Optional<Path> controller(String name) {
        return Optional.ofNullable(controllers.get(name));
    }
}
