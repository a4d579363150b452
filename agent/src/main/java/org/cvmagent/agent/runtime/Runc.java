package org.cvmagent.agent.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cvmagent.agent.fs.ScopedPath;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.agent.process.SpawnSpec;
import org.cvmagent.agent.process.SpawnedProcess;
import org.cvmagent.agent.process.Spawner;
import org.cvmagent.agent.process.Stdio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The OCI runtime binary (runc, or crun, which takes the same commands) driven through the agent's
 * one {@link Spawner}. State lives under {@code root} ({@code --root}); runc's own error messages
 * are taken from its JSON log ({@code --log}), because a container's stderr may be a pipe to the
 * container's owner rather than to us.
 */
public final class Runc {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Spawner spawner;
    private final CommandRunner commands;
    private final Path binary;
    private final Path root;
    private final Duration timeout;

    /**
     * @param binary  e.g. {@code /usr/sbin/runc}
     * @param root    runc's state directory, e.g. {@code /run/cvm-agent/runc}
     * @param timeout how long one runc command may take
     */
    public Runc(Spawner spawner, CommandRunner commands, Path binary, Path root, Duration timeout) {
        this.spawner = spawner;
        this.commands = commands;
        this.binary = binary;
        this.root = root;
        this.timeout = timeout;
    }

    /**
     * {@code runc create}: sets the container up and leaves its init waiting for {@link #start}.
     * The init inherits {@code stdio}, so with pipes the returned process's streams are the
     * container's stdio. The init's pid comes from {@code --pid-file}; once runc has exited the
     * init is re-parented to the agent (subreaper or PID 1).
     */
    public CreatedContainer create(String id, Path bundle, Stdio stdin, Stdio stdout, Stdio stderr)
            throws IOException {
        Detached init = createDetached(id, bundle, List.of(), stdin, stdout, stderr);
        return new CreatedContainer(id, init.pid(), init.runc());
    }

    /**
     * {@code runc create --console-socket}: as {@link #create(String, Path, Stdio, Stdio, Stdio)}
     * for a bundle whose config.json has {@code process.terminal} true. runc sends the pty master
     * to {@code consoleSocket} before it exits, so by the time this returns the caller's
     * {@code ConsoleSocket.receiveMaster} finds it waiting. runc's own stdio is /dev/null: the
     * terminal is the container's stdio, and the returned runc process has no streams.
     */
    public CreatedContainer create(String id, Path bundle, Path consoleSocket) throws IOException {
        Detached init = createDetached(id, bundle, List.of("--console-socket", consoleSocket.toString()),
                Stdio.NULL, Stdio.NULL, Stdio.NULL);
        return new CreatedContainer(id, init.pid(), init.runc());
    }

    private Detached createDetached(String id, Path bundle, List<String> options, Stdio stdin, Stdio stdout,
                                    Stdio stderr) throws IOException {
        ScopedPath.requireSimpleName(id);
        Files.createDirectories(root);
        Path pidFile = root.resolve(id + ".pid");
        Path log = root.resolve(id + ".create.log");
        Files.deleteIfExists(pidFile);
        Files.deleteIfExists(log);
        List<String> args = new ArrayList<>(List.of("create", "--bundle", bundle.toString(), "--pid-file",
                pidFile.toString()));
        args.addAll(options);
        args.add(id);
        return detached("create " + id, args, pidFile, log, stdin, stdout, stderr);
    }

    /**
     * {@code runc exec --detach}: starts the process {@code processJson} describes (an OCI
     * {@code process} object) in the running container {@code id} and returns once it runs. The
     * process inherits {@code stdio} as a container init does; its pid comes from
     * {@code --pid-file}, and it is re-parented to the agent once runc exited, so its exit is
     * collected with {@code Reaper.expect(pid)}.
     */
    public ExecedProcess exec(String id, Path processJson, Stdio stdin, Stdio stdout, Stdio stderr)
            throws IOException {
        return execDetached(id, processJson, List.of(), stdin, stdout, stderr);
    }

    /**
     * {@code runc exec --detach --console-socket}: as {@link #exec(String, Path, Stdio, Stdio, Stdio)}
     * for a process whose JSON has {@code terminal} true; the pty master is waiting at
     * {@code consoleSocket} when this returns, and runc's own stdio is /dev/null (the returned
     * runc process has no streams).
     */
    public ExecedProcess exec(String id, Path processJson, Path consoleSocket) throws IOException {
        return execDetached(id, processJson, List.of("--console-socket", consoleSocket.toString()),
                Stdio.NULL, Stdio.NULL, Stdio.NULL);
    }

    private ExecedProcess execDetached(String id, Path processJson, List<String> options, Stdio stdin,
                                       Stdio stdout, Stdio stderr) throws IOException {
        ScopedPath.requireSimpleName(id);
        Files.createDirectories(root);
        // Several execs of one container may run at once; each gets files of its own.
        Path pidFile = Files.createTempFile(root, id + ".exec-", ".pid");
        Path log = Files.createTempFile(root, id + ".exec-", ".log");
        try {
            List<String> args = new ArrayList<>(List.of("exec", "--detach", "--pid-file", pidFile.toString(),
                    "--process", processJson.toString()));
            args.addAll(options);
            args.add(id);
            Detached process = detached("exec in " + id, args, pidFile, log, stdin, stdout, stderr);
            return new ExecedProcess(id, process.pid(), process.runc());
        } finally {
            Files.deleteIfExists(pidFile);
            Files.deleteIfExists(log);
        }
    }

    /** A process runc left running: its pid from the pid file and the runc process holding its stdio pipes. */
    private record Detached(long pid, SpawnedProcess runc) {
    }

    /** Runs a runc command that leaves a process behind and writes its pid to {@code pidFile}. */
    private Detached detached(String what, List<String> args, Path pidFile, Path log, Stdio stdin, Stdio stdout,
                              Stdio stderr) throws IOException {
        List<String> argv = base(log);
        argv.addAll(args);
        SpawnedProcess runc = spawner.spawn(SpawnSpec.of(argv).withStdio(stdin, stdout, stderr));
        ExitStatus status = await(runc, what);
        if (status.kataCode() != 0) {
            runc.closeStreams();
            throw new IOException("runc " + what + " failed (" + status + "): " + errorsIn(log));
        }
        try {
            return new Detached(Long.parseLong(Files.readString(pidFile).trim()), runc);
        } catch (NoSuchFileException | NumberFormatException e) {
            runc.closeStreams();
            throw new IOException("runc " + what + " left no usable pid file " + pidFile, e);
        }
    }

    /** {@code runc start}: releases the container {@code runc create} left waiting. */
    public void start(String id) throws IOException {
        run("start", id);
    }

    /**
     * Releases the created container {@code id} whose init is {@code initPid}, and has exited once
     * {@code initExited} says so (the reaper's knowledge: no pid reuse). With runc or crun (the
     * binary is named so) and no poststart hooks, the agent does what {@code runc start} or
     * {@code crun start} does, saving a runtime process: it reads (runc) or writes (crun) and
     * removes {@code <root>/<id>/exec.fifo} ({@link ExecFifo}, which also says what each runtime
     * does and for which versions). With poststart hooks, which crun and runc newer than 1.4 run
     * in their {@code start}, and with any other runtime, it runs {@code <runtime> start}.
     */
    public void start(String id, long initPid, BooleanSupplier initExited, boolean poststartHooks) throws IOException {
        ScopedPath.requireSimpleName(id);
        if (poststartHooks) {
            start(id);
            return;
        }
        switch (fifoProtocol()) {
            case RUNC -> ExecFifo.release(id, root.resolve(id), initPid, initExited, timeout);
            case CRUN -> ExecFifo.signal(id, root.resolve(id), initPid, initExited);
            case NONE -> start(id);
        }
    }

    /** How the runtime's create leaves a container waiting, as far as the agent can release it itself. */
    enum FifoProtocol {
        /** runc: the init writes {@code "0"} to the exec fifo, start reads it. */
        RUNC,
        /** crun: the init reads one byte from the exec fifo, start writes it. */
        CRUN,
        /** Another runtime: only its own {@code start} releases the container. */
        NONE
    }

    /** Which exec fifo protocol {@link #start(String, long, BooleanSupplier, boolean)} follows: by the binary's name. */
    FifoProtocol fifoProtocol() {
        Path name = binary.getFileName();
        return switch (name == null ? "" : name.toString()) {
            case "runc" -> FifoProtocol.RUNC;
            case "crun" -> FifoProtocol.CRUN;
            default -> FifoProtocol.NONE;
        };
    }

    /** Whether {@link #start(String, long, BooleanSupplier, boolean)} can release a container without the runtime. */
    public boolean releasesItself() {
        return fifoProtocol() != FifoProtocol.NONE;
    }

    /** Signals the container's init, or every process in it with {@code all}. */
    public void kill(String id, int signal, boolean all) throws IOException {
        List<String> args = new ArrayList<>(List.of("kill"));
        if (all) {
            args.add("--all");
        }
        args.add(id);
        args.add(Integer.toString(signal));
        run(args.toArray(String[]::new));
    }

    public void delete(String id, boolean force) throws IOException {
        if (force) {
            run("delete", "--force", id);
        } else {
            run("delete", id);
        }
        Files.deleteIfExists(root.resolve(id + ".pid"));
        Files.deleteIfExists(root.resolve(id + ".create.log"));
    }

    public void pause(String id) throws IOException {
        run("pause", id);
    }

    public void resume(String id) throws IOException {
        run("resume", id);
    }

    /** {@code runc state}: the container's status ({@code created}, {@code running}, {@code paused}, {@code stopped}) and init pid. */
    public ContainerState state(String id) throws IOException {
        CommandResult result = run("state", id);
        JsonNode state = JSON.readTree(result.stdout());
        return new ContainerState(state.path("id").asText(), state.path("status").asText(), state.path("pid").asLong());
    }

    /**
     * {@code runc update --resources}: applies an OCI {@code linux.resources} object (JSON, as
     * {@code OciSpecTranslator.translateResources} makes it) to a running container. runc reads it
     * from a file here, since commands are run without stdin.
     */
    public void update(String id, String resourcesJson) throws IOException {
        ScopedPath.requireSimpleName(id);
        Files.createDirectories(root);
        Path resources = Files.createTempFile(root, id + ".update-", ".json");
        try {
            Files.writeString(resources, resourcesJson);
            run("update", "--resources", resources.toString(), id);
        } finally {
            Files.deleteIfExists(resources);
        }
    }

    /** {@code runc ps --format json}: the pids (as the agent sees them) of every process in the container. */
    public List<Long> ps(String id) throws IOException {
        CommandResult result = run("ps", "--format", "json", id);
        JsonNode pids = JSON.readTree(result.stdout());
        if (pids == null || !pids.isArray()) {
            throw new IOException("runc ps " + id + " printed no JSON array: " + result.stdoutText().trim());
        }
        List<Long> list = new ArrayList<>(pids.size());
        for (JsonNode pid : pids) {
            if (!pid.isIntegralNumber() || !pid.canConvertToLong()) {
                throw new IOException("runc ps " + id + " printed a pid that is no number: " + pid);
            }
            list.add(pid.asLong());
        }
        return List.copyOf(list);
    }

    private CommandResult run(String... args) throws IOException {
        List<String> argv = base(null);
        argv.addAll(List.of(args));
        CommandResult result = commands.run(argv, List.of("PATH=" + SpawnSpec.DEFAULT_PATH), timeout);
        if (!result.succeeded()) {
            throw new IOException("runc " + String.join(" ", args) + " failed (" + result.status() + "): "
                    + result.stderrText().trim());
        }
        return result;
    }

    private List<String> base(Path log) {
        List<String> argv = new ArrayList<>(List.of(binary.toString(), "--root", root.toString()));
        if (log != null) {
            argv.addAll(List.of("--log", log.toString(), "--log-format", "json"));
        }
        return argv;
    }

    private ExitStatus await(SpawnedProcess process, String what) throws IOException {
        try {
            return process.exit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            process.signal(9);
            throw new IOException("runc " + what + " did not finish within " + timeout + "; killed it");
        } catch (ExecutionException e) {
            throw new IOException("runc " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for runc " + what, e);
        }
    }

    /** The messages of error-level lines in runc's JSON log. */
    private static String errorsIn(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(runc wrote no log)";
        }
        List<String> errors = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            JsonNode entry = JSON.readTree(line);
            if ("error".equals(entry.path("level").asText()) || "fatal".equals(entry.path("level").asText())) {
                errors.add(entry.path("msg").asText());
            }
        }
        return errors.isEmpty() ? "(no error in runc's log)" : String.join("; ", errors);
    }
}
