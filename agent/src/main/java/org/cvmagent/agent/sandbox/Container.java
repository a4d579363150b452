package org.cvmagent.agent.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One container of the sandbox: its bundle, its init and exec'd processes, and the storages it
 * holds. Lifecycle changes of one container are serialized by {@link #lifecycle}; reads, writes
 * and waits on its processes are not, so a slow WaitProcess never blocks a ReadStdout.
 */
public final class Container {

    /** What runc would say; {@code STOPPED} once the init has exited. */
    public enum Status { CREATED, RUNNING, PAUSED, STOPPED }

    private final String id;
    private final Path bundle;
    private final ContainerProcess init;
    private final List<String> mountPoints;
    private final boolean poststartHooks;
    private final Map<String, ContainerProcess> execs = new ConcurrentHashMap<>();
    private final ReentrantLock lifecycle = new ReentrantLock();
    private volatile Status status = Status.CREATED;

    Container(String id, Path bundle, ContainerProcess init, List<String> mountPoints, boolean poststartHooks) {
        this.id = id;
        this.bundle = bundle;
        this.init = init;
        this.mountPoints = List.copyOf(mountPoints);
        this.poststartHooks = poststartHooks;
    }

    /** Whether the container's config.json has poststart hooks (see {@code Runc.start}). */
    boolean poststartHooks() {
        return poststartHooks;
    }

    public String id() {
        return id;
    }

    Path bundle() {
        return bundle;
    }

    public ContainerProcess init() {
        return init;
    }

    List<String> mountPoints() {
        return mountPoints;
    }

    ReentrantLock lifecycle() {
        return lifecycle;
    }

    public Status status() {
        return init.exited() ? Status.STOPPED : status;
    }

    void status(Status newStatus) {
        status = newStatus;
    }

    /** The init for an empty exec id or the container's own id (kata's init exec id), else an exec. */
    Optional<ContainerProcess> process(String execId) {
        if (execId.isEmpty() || execId.equals(id)) {
            return Optional.of(init);
        }
        return Optional.ofNullable(execs.get(execId));
    }

    boolean hasExec(String execId) {
        return execId.equals(id) || execs.containsKey(execId);
    }

    void addExec(ContainerProcess process) {
        execs.put(process.execId(), process);
    }

    /**
     * Forgets a finished exec once it was waited for and its output read to the end (or on
     * demand), so its id can be used again and its fds and threads are released.
     */
    boolean removeExec(ContainerProcess process) {
        return execs.remove(process.execId(), process);
    }

    List<ContainerProcess> processes() {
        List<ContainerProcess> all = new ArrayList<>(execs.values());
        all.add(init);
        return all;
    }

    @Override
    public String toString() {
        return "container " + id;
    }
}
