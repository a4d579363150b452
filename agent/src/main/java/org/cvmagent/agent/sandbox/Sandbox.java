package org.cvmagent.agent.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Status;
import org.cvmagent.agent.cgroup.OomMonitor;
import org.cvmagent.agent.fs.MountinfoText;
import org.cvmagent.agent.cgroup.OomMonitorClosedException;
import org.cvmagent.agent.oci.InvalidOciSpecException;
import org.cvmagent.agent.oci.OciSpecTranslator;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.agent.process.Stdio;
import org.cvmagent.agent.process.SpawnedProcess;
import org.cvmagent.agent.runtime.Runc;
import org.cvmagent.agent.storage.StorageManager;
import org.cvmagent.agent.tty.ConsoleSocket;
import org.cvmagent.agent.tty.PtyMaster;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.KernelModule;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.StatsContainerResponse;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The pod: its shared namespaces, storages, hooks and DNS, and its containers run with runc. Every
 * method answers the way kata-agent does for the RPC of the same name, with failures as
 * {@link RpcException}s carrying the gRPC code (INVALID_ARGUMENT naming the field, NOT_FOUND for
 * unknown ids, ALREADY_EXISTS for duplicates).
 *
 * <p>Creating and removing containers and the sandbox itself are serialized by one lock, as in
 * kata; process I/O, waits and signals take no sandbox-wide lock.
 */
public final class Sandbox {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.sandbox");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SIGKILL = 9;
    /** How long RemoveContainer with timeout 0 waits for the processes to die after SIGKILL. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(30);

    private final SandboxLayout layout;
    private final Runc runc;
    private final Reaper reaper;
    private final StorageManager storages;
    private final ContainerStats stats;
    private final OomMonitor oom;
    private final OciSpecTranslator translator;
    private final SharedNamespaces namespaces;
    private final KernelModules modules;
    private final GuestDns dns;
    private final SignalDisposition signals;
    private final Duration consoleTimeout;
    private final OutputPoller outputs;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong consoles = new AtomicLong();
    private final Map<String, Container> containers = new ConcurrentHashMap<>();
    private String sandboxId = "";
    private List<String> sandboxMounts = List.of();
    private GuestHooks hooks = GuestHooks.NONE;
    private Optional<Path> sandboxPidns = Optional.empty();
    private boolean created;

    /** @param outputs the agent's one reader of every process's output fds (its owner closes it) */
    public Sandbox(SandboxLayout layout, Runc runc, Reaper reaper, StorageManager storages,
                   ContainerStats stats, OomMonitor oom, CommandRunner commands, Path proc,
                   Duration consoleTimeout, OutputPoller outputs) {
        this.layout = layout;
        this.runc = runc;
        this.reaper = reaper;
        this.storages = storages;
        this.stats = stats;
        this.oom = oom;
        this.translator = new OciSpecTranslator();
        this.namespaces = new SharedNamespaces(commands, layout.namespaceFile("ipc"),
                layout.namespaceFile("uts"));
        this.modules = new KernelModules(commands);
        this.dns = new GuestDns(layout.resolvConf());
        this.signals = new SignalDisposition(proc);
        this.consoleTimeout = consoleTimeout;
        this.outputs = outputs;
    }

    // ---------------------------------------------------------------- sandbox

    public void create(CreateSandboxRequest request) throws RpcException {
        lock.lock();
        try {
            if (created) {
                throw new RpcException(Status.Code.ALREADY_EXISTS, "the sandbox " + sandboxId
                        + " already exists; DestroySandbox first");
            }
            if (!request.getSandboxId().isEmpty()) {
                requireId(request.getSandboxId(), "sandbox_id");
            }
            for (int i = 0; i < request.getKernelModulesCount(); i++) {
                KernelModule module = request.getKernelModules(i);
                try {
                    modules.load(module);
                } catch (IllegalArgumentException e) {
                    throw RpcException.invalidArgument("kernel_modules[" + i + "]: " + e.getMessage());
                } catch (IOException e) {
                    throw new RpcException(Status.Code.FAILED_PRECONDITION, e.getMessage(), e);
                }
            }
            GuestHooks found = GuestHooks.NONE;
            if (!request.getGuestHookPath().isEmpty()) {
                try {
                    found = GuestHooks.scan(Path.of(request.getGuestHookPath()));
                } catch (IOException e) {
                    // kata logs and carries on without hooks; a hook directory is the guest's own.
                    LOG.log(System.Logger.Level.WARNING, "guest hooks at " + request.getGuestHookPath()
                            + " not used: " + e.getMessage());
                }
            }
            try {
                dns.write(request.getDnsList());
            } catch (IllegalArgumentException e) {
                throw RpcException.invalidArgument("dns: " + e.getMessage());
            }
            namespaces.create(request.getHostname());
            List<String> mounts;
            try {
                mounts = storages.add(request.getStoragesList(), "sandbox");
            } catch (RpcException e) {
                namespaces.destroy();
                throw e;
            }
            sandboxId = request.getSandboxId();
            sandboxMounts = mounts;
            hooks = found;
            created = true;
            LOG.log(System.Logger.Level.INFO, "sandbox " + sandboxId + " created ("
                    + request.getStoragesCount() + " storages, " + found.hooks().getPrestartCount() + " prestart hooks)");
        } catch (IOException e) {
            throw RpcException.internal("CreateSandbox: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Stops and removes every container, unmounts the sandbox's storages and namespaces. */
    public void destroy() throws RpcException {
        lock.lock();
        try {
            List<String> failures = new ArrayList<>();
            for (Container container : List.copyOf(containers.values())) {
                try {
                    remove(container, KILL_WAIT);
                } catch (RpcException e) {
                    failures.add(e.getMessage());
                }
            }
            for (String mountPoint : sandboxMounts) {
                try {
                    storages.release(mountPoint);
                } catch (RpcException e) {
                    failures.add("storage " + mountPoint + ": " + e.getMessage());
                }
            }
            sandboxMounts = List.of();
            try {
                namespaces.destroy();
                Files.deleteIfExists(dns.file());
            } catch (IOException e) {
                failures.add(e.getMessage());
            }
            created = false;
            sandboxId = "";
            hooks = GuestHooks.NONE;
            sandboxPidns = Optional.empty();
            if (!failures.isEmpty()) {
                throw RpcException.internal("DestroySandbox: " + String.join("; ", failures), null);
            }
            LOG.log(System.Logger.Level.INFO, "sandbox destroyed");
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- containers

    public void createContainer(CreateContainerRequest request) throws RpcException {
        String id = request.getContainerId();
        requireId(id, "container_id");
        if (!request.hasOCI()) {
            throw RpcException.invalidArgument("OCI: the request carries no OCI spec");
        }
        // Not supported yet; creating the container without them would hide the gap from the pod.
        if (request.getDevicesCount() > 0) {
            throw new RpcException(Status.Code.UNIMPLEMENTED, "CreateContainer: devices (" + request.getDevices(0).getType()
                    + " " + request.getDevices(0).getId() + ", ...) are not supported by this agent yet");
        }
        if (request.getSharedMountsCount() > 0) {
            throw new RpcException(Status.Code.UNIMPLEMENTED,
                    "CreateContainer: shared_mounts are not supported by this agent yet");
        }
        Spec spec = request.getOCI();
        if (!spec.hasProcess()) {
            throw RpcException.invalidArgument("OCI.process: the spec has no process");
        }
        if (!spec.hasRoot() || spec.getRoot().getPath().isEmpty()) {
            throw RpcException.invalidArgument("OCI.root.path: the spec has no root file system");
        }
        lock.lock();
        try {
            if (containers.containsKey(id)) {
                throw new RpcException(Status.Code.ALREADY_EXISTS, "container " + id + " already exists");
            }
            List<String> mounts = storages.add(request.getStoragesList(), id);
            try {
                Container container = launch(id, spec, mounts, request.getSandboxPidns());
                containers.put(id, container);
                if (sandboxPidns.isEmpty()) {
                    // As kata: the first container's (the pause container's) PID namespace is the
                    // sandbox's, for later containers that ask to share it.
                    sandboxPidns = Optional.of(Path.of("/proc", Long.toString(container.init().pid()), "ns", "pid"));
                }
            } catch (RpcException | RuntimeException e) {
                releaseQuietly(mounts, e);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    private Container launch(String id, Spec requested, List<String> mounts, boolean sharePidns) throws RpcException {
        Path rootfs = confined(requested.getRoot().getPath(), "OCI.root.path");
        if (!Files.isDirectory(rootfs)) {
            throw RpcException.invalidArgument("OCI.root.path: " + requested.getRoot().getPath()
                    + " is not a directory in the guest");
        }
        if (sharePidns && sandboxPidns.isEmpty() && !containers.isEmpty()) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION,
                    "sandbox_pidns: the sandbox has no PID namespace to share");
        }
        NamespacePlan plan = new NamespacePlan(namespaces.ipc(), namespaces.uts(),
                sharePidns ? sandboxPidns : Optional.empty());
        Spec planned = hooks.appendTo(plan.apply(requested));
        Spec spec = planned.toBuilder().setRoot(planned.getRoot().toBuilder().setPath(rootfs.toString())).build();
        ObjectNode config = translate("OCI.", () -> translator.translate(spec));
        Path bundle = layout.bundle(id);
        boolean terminal = spec.getProcess().getTerminal();
        try {
            deleteTree(bundle);
            Files.createDirectories(bundle);
            JSON.writerWithDefaultPrettyPrinter().writeValue(bundle.resolve("config.json").toFile(), config);
            ProcessStart start = terminal
                    ? startWithTerminal(id, "", console -> started(runc.create(id, bundle, console)))
                    : startWithPipes(() -> started(runc.create(id, bundle, Stdio.PIPE, Stdio.PIPE, Stdio.PIPE)), id);
            ContainerProcess init = new ContainerProcess(id, id, true, start.pid(), reaper.expect(start.pid()),
                    start.io(), reaper);
            LOG.log(System.Logger.Level.INFO, "container " + id + " created, init pid " + start.pid());
            // What runc sees: its poststart hooks decide how StartContainer releases the container.
            boolean poststartHooks = !config.path("hooks").path("poststart").isEmpty();
            return new Container(id, bundle, init, mounts, poststartHooks);
        } catch (IOException e) {
            forceDelete(id);
            deleteTreeQuietly(bundle);
            throw RpcException.internal("CreateContainer " + id + ": " + e.getMessage(), e);
        }
    }

    public void startContainer(String id) throws RpcException {
        Container container = container(id);
        container.lifecycle().lock();
        try {
            if (container.status() != Container.Status.CREATED) {
                throw new RpcException(Status.Code.FAILED_PRECONDITION, "container " + id + " is "
                        + container.status().name().toLowerCase() + ", not created");
            }
            if (!id.equals(sandboxId)) {
                // Before start, so the counter's baseline is taken before the workload runs.
                oom.register(id, container.init().pid());
            }
            runc.start(id, container.init().pid(), container.init()::exited, container.poststartHooks());
            container.status(Container.Status.RUNNING);
        } catch (IOException e) {
            throw RpcException.internal("StartContainer " + id + ": " + e.getMessage(), e);
        } finally {
            container.lifecycle().unlock();
        }
    }

    /**
     * Kills whatever still runs in the container, deletes it, closes its stdio and releases its
     * storages. {@code timeoutSeconds} bounds the wait for the processes to die (0: kata's
     * "no timeout", bounded here by {@link #KILL_WAIT}).
     */
    public void removeContainer(String id, int timeoutSeconds) throws RpcException {
        lock.lock();
        try {
            Container container = container(id);
            remove(container, timeoutSeconds == 0 ? KILL_WAIT : Duration.ofSeconds(timeoutSeconds));
        } finally {
            lock.unlock();
        }
    }

    private void remove(Container container, Duration wait) throws RpcException {
        String id = container.id();
        container.lifecycle().lock();
        try {
            oom.unregister(id);
            if (!container.init().exited()) {
                if (container.status() == Container.Status.PAUSED) {
                    // A frozen process cannot die; runc kill --all thaws nothing.
                    runc.resume(id);
                }
                IOException killFailure = null;
                try {
                    runc.kill(id, SIGKILL, true);
                } catch (IOException e) {
                    // The init may have exited on its own since we looked; its exit settles it.
                    killFailure = e;
                }
                try {
                    container.init().exit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (killFailure != null) {
                        throw killFailure;
                    }
                    throw new RpcException(Status.Code.DEADLINE_EXCEEDED, "container " + id
                            + " did not stop within " + wait.toSeconds() + " s after SIGKILL");
                } catch (ExecutionException e) {
                    LOG.log(System.Logger.Level.WARNING, "exit of container " + id + " unknown: " + e.getCause());
                }
            }
            runc.delete(id, true);
            for (ContainerProcess process : container.processes()) {
                process.io().close();
                container.removeExec(process);
            }
            containers.remove(id, container);
            List<String> failures = new ArrayList<>();
            for (String mountPoint : container.mountPoints()) {
                try {
                    storages.release(mountPoint);
                } catch (RpcException e) {
                    failures.add(mountPoint + ": " + e.getMessage());
                }
            }
            deleteTree(container.bundle());
            if (!failures.isEmpty()) {
                throw RpcException.internal("RemoveContainer " + id + ": releasing storages failed: "
                        + String.join("; ", failures), null);
            }
            LOG.log(System.Logger.Level.INFO, "container " + id + " removed");
        } catch (IOException e) {
            throw RpcException.internal("RemoveContainer " + id + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RpcException(Status.Code.CANCELLED, "RemoveContainer " + id + " was interrupted");
        } finally {
            container.lifecycle().unlock();
        }
    }

    public void pauseContainer(String id) throws RpcException {
        changeState(id, Container.Status.RUNNING, Container.Status.PAUSED, () -> runc.pause(id), "PauseContainer");
    }

    public void resumeContainer(String id) throws RpcException {
        changeState(id, Container.Status.PAUSED, Container.Status.RUNNING, () -> runc.resume(id), "ResumeContainer");
    }

    private interface RuncCall {
        void run() throws IOException;
    }

    private void changeState(String id, Container.Status from, Container.Status to, RuncCall call, String rpc)
            throws RpcException {
        Container container = container(id);
        container.lifecycle().lock();
        try {
            if (container.status() != from) {
                throw new RpcException(Status.Code.FAILED_PRECONDITION, "container " + id + " is "
                        + container.status().name().toLowerCase() + ", not " + from.name().toLowerCase());
            }
            call.run();
            container.status(to);
        } catch (IOException e) {
            throw RpcException.internal(rpc + " " + id + ": " + e.getMessage(), e);
        } finally {
            container.lifecycle().unlock();
        }
    }

    public void updateContainer(String id, LinuxResources resources) throws RpcException {
        Container container = container(id);
        ObjectNode json = translate("", () -> translator.translateResources(resources));
        container.lifecycle().lock();
        try {
            requireRunning(container);
            runc.update(id, JSON.writeValueAsString(json));
        } catch (IOException e) {
            throw RpcException.internal("UpdateContainer " + id + ": " + e.getMessage(), e);
        } finally {
            container.lifecycle().unlock();
        }
    }

    public StatsContainerResponse stats(String id) throws RpcException {
        Container container = container(id);
        requireRunning(container);
        try {
            return stats.read(container.init().pid());
        } catch (IOException e) {
            throw RpcException.internal("StatsContainer " + id + ": " + e.getMessage(), e);
        }
    }

    /** Blocks until some container is OOM-killed; its id. */
    public String nextOomEvent() throws RpcException, InterruptedException {
        try {
            return oom.next();
        } catch (OomMonitorClosedException e) {
            throw RpcException.internal("GetOOMEvent: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- processes

    public void execProcess(String id, String execId, org.cvmagent.proto.agent.Process process) throws RpcException {
        requireId(execId, "exec_id");
        ObjectNode json = translate("", () -> translator.translateProcess(process));
        Container container = container(id);
        container.lifecycle().lock();
        try {
            if (container.hasExec(execId)) {
                throw new RpcException(Status.Code.ALREADY_EXISTS, "exec id " + execId + " already exists in container " + id);
            }
            requireRunning(container);
            Path processFile = container.bundle().resolve("exec-" + execId + ".json");
            JSON.writeValue(processFile.toFile(), json);
            try {
                ProcessStart start = process.getTerminal()
                        ? startWithTerminal(id, execId, console -> started(runc.exec(id, processFile, console)))
                        : startWithPipes(() -> started(runc.exec(id, processFile, Stdio.PIPE, Stdio.PIPE,
                                Stdio.PIPE)), id + "-" + execId);
                container.addExec(new ContainerProcess(id, execId, false, start.pid(), reaper.expect(start.pid()),
                        start.io(), reaper));
            } finally {
                Files.deleteIfExists(processFile);
            }
        } catch (IOException e) {
            throw RpcException.internal("ExecProcess " + execId + " in " + id + ": " + e.getMessage(), e);
        } finally {
            container.lifecycle().unlock();
        }
    }

    /**
     * kata's rule: an empty exec id with SIGKILL means every process of the container; otherwise
     * the one process (a SIGTERM its init does not catch becomes SIGKILL).
     */
    public void signalProcess(String id, String execId, int signal) throws RpcException {
        if (signal < 0 || signal > 64) {
            throw RpcException.invalidArgument("signal: " + signal + " is not a signal number");
        }
        Container container = container(id);
        try {
            if (execId.isEmpty() && signal == SIGKILL) {
                if (!container.init().exited()) {
                    runc.kill(id, SIGKILL, true);
                }
                return;
            }
            ContainerProcess process = process(container, execId);
            int effective = signals.effective(process.pid(), process.isInit(), signal);
            if (!process.signal(effective)) {
                LOG.log(System.Logger.Level.DEBUG, process + " already exited; signal " + signal + " not sent");
            }
        } catch (IOException e) {
            throw RpcException.internal("SignalProcess " + id + "/" + execId + ": " + e.getMessage(), e);
        }
    }

    /** The exit code as kata reports it; several callers may wait for the same process. */
    public int waitProcess(String id, String execId) throws RpcException, InterruptedException {
        Container container = container(id);
        ContainerProcess process = process(container, execId);
        try {
            int code = process.awaitExitCode();
            process.markWaited();
            retireIfDone(container, process);
            return code;
        } catch (IOException e) {
            throw RpcException.internal("WaitProcess " + id + "/" + execId + ": " + e.getMessage(), e);
        }
    }

    public int writeStdin(String id, String execId, byte[] data) throws RpcException, InterruptedException {
        ContainerProcess process = process(container(id), execId);
        try {
            if (data.length == 0) {
                process.io().closeStdin();
            } else {
                process.io().writeStdin(data);
            }
            return data.length;
        } catch (IOException e) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "WriteStdin " + id + "/" + execId + ": "
                    + e.getMessage(), e);
        }
    }

    public void closeStdin(String id, String execId) throws RpcException, InterruptedException {
        ContainerProcess process = process(container(id), execId);
        try {
            process.io().closeStdin();
        } catch (IOException e) {
            throw RpcException.internal("CloseStdin " + id + "/" + execId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Up to {@code max} bytes of the process's stdout (or stderr); empty the first time end of
     * stream is found, an error for any read after that (kata's two conventions, see OutputPump).
     */
    public ByteString read(String id, String execId, int max, boolean stdout) throws RpcException, InterruptedException {
        return readStream(id, execId, stdout, pump -> pump.read(max));
    }

    /**
     * A read the policy denied, answered as kata answers it: no data, while the stream goes on
     * being drained so the process never blocks on its output; the end of stream is signalled as
     * for {@link #read}.
     */
    public ByteString readRedacted(String id, String execId, boolean stdout) throws RpcException, InterruptedException {
        return readStream(id, execId, stdout, OutputPump::readRedacted);
    }

    private interface StreamRead {
        ByteString from(OutputPump pump) throws OutputEndedException, InterruptedException;
    }

    private ByteString readStream(String id, String execId, boolean stdout, StreamRead read)
            throws RpcException, InterruptedException {
        Container container = container(id);
        ContainerProcess process = process(container, execId);
        ByteString data;
        try {
            data = read.from(stdout ? process.io().stdout() : process.io().stderr());
        } catch (OutputEndedException e) {
            // INTERNAL, as kata-agent answered it: its read error went through the same mapping
            // as any other failure (an anyhow error mapped to INTERNAL). Old runtimes stop their
            // copy on any error; the status only has to be one no client retries.
            throw RpcException.internal("read meet eof: " + (stdout ? "stdout" : "stderr") + " of " + process
                    + " has ended", null);
        }
        if (data.isEmpty()) {
            retireIfDone(container, process);
        }
        return data;
    }

    public void resizeTerminal(String id, String execId, int rows, int columns) throws RpcException {
        if (rows < 0 || columns < 0 || rows > 0xffff || columns > 0xffff) {
            throw RpcException.invalidArgument("row/column: " + rows + "x" + columns + " is not a terminal size");
        }
        ContainerProcess process = process(container(id), execId);
        try {
            process.io().resize(rows, columns);
        } catch (ProcessIo.NoTerminalException e) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "TtyWinResize " + id + "/" + execId + ": "
                    + e.getMessage());
        } catch (IOException e) {
            throw RpcException.internal("TtyWinResize " + id + "/" + execId + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- storages

    public void updateEphemeralMounts(List<Storage> storages) throws RpcException {
        this.storages.updateEphemeral(storages);
    }

    /**
     * kata's answer to virtiofsd keeping stale share entries: stat every mount point under the
     * shared directory so the daemon drops the ones that no longer exist.
     */
    public int touchSharedMounts(Path mountinfo) throws RpcException {
        int touched = 0;
        try {
            for (String line : Files.readAllLines(mountinfo)) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    Path mountPoint = Path.of(MountinfoText.unescape(fields[4]));
                    if (mountPoint.startsWith(layout.sharedContainersDir().getParent())) {
                        boolean exists = Files.exists(mountPoint);
                        LOG.log(System.Logger.Level.DEBUG, "stat " + mountPoint + ": " + (exists ? "ok" : "gone"));
                        touched++;
                    }
                }
            }
        } catch (IOException e) {
            throw RpcException.internal("RemoveStaleVirtiofsShareMounts: " + e.getMessage(), e);
        }
        return touched;
    }

    /** Kubernetes caps termination messages at 4 KiB; more is not read. */
    private static final int MAX_TERMINATION_LOG = 4096;
    private static final String TERMINATION_MESSAGE_PATH = "io.kubernetes.container.terminationMessagePath";

    /**
     * GetDiagnosticData's termination_log: the container's termination message, read from the guest
     * file bind-mounted at the path its terminationMessagePath annotation names. Only a regular file
     * under the sandbox root is read: the spec comes from the host, and this must not become a way
     * to read any guest file.
     */
    public String terminationLog(String id) throws RpcException {
        Container c = container(id);
        try {
            com.fasterxml.jackson.databind.JsonNode spec = JSON.readTree(
                    c.bundle().resolve("config.json").toFile());
            String destination = spec.path("annotations").path(TERMINATION_MESSAGE_PATH).asText("");
            if (destination.isEmpty()) {
                throw RpcException.notFound("container " + id + " has no " + TERMINATION_MESSAGE_PATH + " annotation");
            }
            String source = null;
            for (com.fasterxml.jackson.databind.JsonNode m : spec.path("mounts")) {
                if (m.path("destination").asText().equals(destination)) {
                    source = m.path("source").asText();
                }
            }
            if (source == null) {
                throw RpcException.notFound("container " + id + " mounts nothing at its termination message path "
                        + destination);
            }
            return new TerminationLogReader(layout.root(), MAX_TERMINATION_LOG).read(id, source);
        } catch (IOException e) {
            throw RpcException.internal("termination log of " + id + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- queries for tests and tools

    public Optional<Container> find(String id) {
        return Optional.ofNullable(containers.get(id));
    }

    public List<String> containerIds() {
        return containers.keySet().stream().sorted().toList();
    }

    // ---------------------------------------------------------------- helpers

    private record ProcessStart(long pid, ProcessIo io) {
    }

    /** What runc left running: the process's pid and the runc process that held its stdio. */
    private record Started(long pid, SpawnedProcess runc) {
    }

    private static Started started(org.cvmagent.agent.runtime.CreatedContainer created) {
        return new Started(created.initPid(), created.stdio());
    }

    private static Started started(org.cvmagent.agent.runtime.ExecedProcess execed) {
        return new Started(execed.pid(), execed.stdio());
    }

    private interface PipedStart {
        Started start() throws IOException;
    }

    private interface TerminalStart {
        Started start(Path consoleSocket) throws IOException;
    }

    private ProcessStart startWithPipes(PipedStart start, String name) throws IOException {
        Started started = start.start();
        return new ProcessStart(started.pid(), PipeIo.open(started.runc(), name, outputs));
    }

    private ProcessStart startWithTerminal(String id, String execId, TerminalStart start) throws IOException {
        Path socketPath = layout.consoleSocket(consoles.incrementAndGet());
        try (ConsoleSocket console = ConsoleSocket.listen(socketPath)) {
            Started started = start.start(socketPath);
            PtyMaster master = console.receiveMaster(consoleTimeout);
            return new ProcessStart(started.pid(), TerminalIo.open(master,
                    id + (execId.isEmpty() ? "" : "-" + execId), outputs));
        }
    }

    private void retireIfDone(Container container, ContainerProcess process) throws InterruptedException {
        if (!process.isInit() && process.done() && container.removeExec(process)) {
            process.io().close();
        }
    }

    private Container container(String id) throws RpcException {
        Container container = containers.get(id);
        if (container == null) {
            throw RpcException.notFound("container " + id + " does not exist");
        }
        return container;
    }

    private static ContainerProcess process(Container container, String execId) throws RpcException {
        return container.process(execId).orElseThrow(() -> RpcException.notFound("exec id " + execId
                + " does not exist in container " + container.id()));
    }

    private static void requireRunning(Container container) throws RpcException {
        Container.Status status = container.status();
        if (status == Container.Status.STOPPED) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "container " + container.id() + " has stopped");
        }
    }

    private static void requireId(String id, String field) throws RpcException {
        try {
            org.cvmagent.agent.fs.ScopedPath.requireSimpleName(id);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument(field + ": " + e.getMessage());
        }
    }

    private Path confined(String hostPath, String field) throws RpcException {
        try {
            return layout.confine(hostPath);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument(field + ": " + e.getMessage());
        } catch (IOException e) {
            throw RpcException.invalidArgument(field + ": " + hostPath + " cannot be resolved: " + e.getMessage());
        }
    }

    private interface Translation {
        ObjectNode run();
    }

    /** @param prefix where the translated object sits in the request, for the field named in errors */
    private static ObjectNode translate(String prefix, Translation translation) throws RpcException {
        try {
            return translation.run();
        } catch (InvalidOciSpecException e) {
            throw RpcException.invalidArgument(prefix + e.getMessage());
        }
    }

    private void releaseQuietly(List<String> mounts, Exception cause) {
        for (String mountPoint : mounts) {
            try {
                storages.release(mountPoint);
            } catch (RpcException e) {
                cause.addSuppressed(e);
            }
        }
    }

    private void forceDelete(String id) {
        try {
            runc.delete(id, true);
        } catch (IOException e) {
            // Expected when create failed before runc registered the container.
            LOG.log(System.Logger.Level.DEBUG, "cleanup of failed create " + id + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static void deleteTreeQuietly(Path directory) {
        try {
            deleteTree(directory);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + directory + ": " + e.getMessage());
        }
    }
}
