package org.cvmagent.agent.process;

import org.cvmagent.transport.Libc;
import org.cvmagent.transport.NativeFd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts children with glibc's posix_spawn (see {@link NativeSpawn} for what every child gets) and
 * registers each with the {@link Reaper} under its lock, so no exit is lost.
 *
 * <p>Pipes are made with pipe2(O_CLOEXEC); the child's ends are dup2'ed onto 0/1/2 by file actions
 * and closed here right after the spawn; the agent's ends are made non-blocking and owned by a
 * close-safe {@link NativeFd}, the same fd wrapper the vsock and serial transports use.
 */
public final class PosixSpawner implements Spawner {

    private static final int SIGKILL = 9;

    private final Reaper reaper;
    private final ProcessLibc libc;
    private final Libc fdLibc;
    private final NativeSpawn nativeSpawn;

    public PosixSpawner(Reaper reaper) {
        this(reaper, Libc.load());
    }

    /** @param fdLibc the bindings {@link NativeFd} reads, writes and polls the pipes with */
    public PosixSpawner(Reaper reaper, Libc fdLibc) {
        this.reaper = reaper;
        this.libc = reaper.libc();
        this.fdLibc = fdLibc;
        this.nativeSpawn = new NativeSpawn(libc);
    }

    @Override
    public SpawnedProcess spawn(SpawnSpec spec) throws IOException {
        String program = resolve(spec);
        String cwd = spec.cwd().map(Path::toString).orElse(null);
        // Index 0..2: the child's end of each pipe (-1 when that stream is no pipe); 3..5: ours.
        int[] ends = {-1, -1, -1, -1, -1, -1};
        List<NativeFd> adopted = new ArrayList<>(3);
        int[] pid = {-1};
        boolean started = false;
        try {
            Stdio[] stdio = {spec.stdin(), spec.stdout(), spec.stderr()};
            int[] sources = new int[3];
            for (int target = 0; target < 3; target++) {
                sources[target] = switch (stdio[target]) {
                    case Stdio.Pipe p -> openPipe(target, ends);
                    case Stdio.DevNull n -> NativeSpawn.DEV_NULL;
                    case Stdio.Inherit i -> NativeSpawn.INHERIT;
                    case Stdio.Fd fd -> fd.fd();
                };
            }
            var exit = reaper.createAndRegister(
                    () -> nativeSpawn.spawn(program, spec.argv(), spec.env(), cwd, sources, spec.newSession()), pid);
            started = true;
            closeChildEnds(ends);
            String[] names = {"stdin", "stdout", "stderr"};
            NativeFd[] pipes = new NativeFd[3];
            for (int target = 0; target < 3; target++) {
                if (ends[3 + target] >= 0) {
                    int ours = ends[3 + target];
                    ends[3 + target] = -1;
                    pipes[target] = adopt(ours, names[target] + " of process " + pid[0]);
                    adopted.add(pipes[target]);
                }
            }
            return new SpawnedProcess(pid[0], spec.commandLine(), exit, reaper, pipes[0], pipes[1], pipes[2]);
        } catch (IOException | RuntimeException e) {
            closeChildEnds(ends);
            for (int i = 3; i < 6; i++) {
                if (ends[i] >= 0) {
                    libc.close(ends[i]);
                }
            }
            adopted.forEach(NativeFd::close);
            if (started) {
                // The child runs but we cannot talk to it; a half-wired child must not run on.
                IOException failure = new IOException("started " + spec.commandLine()
                        + " but could not set up its pipes, so it was killed", e);
                try {
                    reaper.signal(pid[0], SIGKILL);
                } catch (IOException killFailure) {
                    failure.addSuppressed(killFailure);
                }
                throw failure;
            }
            throw new IOException("cannot start " + spec.commandLine() + ": " + e.getMessage(), e);
        }
    }

    /** Takes ownership of our end of a pipe, non-blocking, as NativeFd needs; on failure it is closed. */
    private NativeFd adopt(int fd, String description) throws IOException {
        int flags = libc.fcntl(fd, ProcessLibc.F_GETFL, 0);
        int set = flags < 0 ? flags : libc.fcntl(fd, ProcessLibc.F_SETFL, flags | ProcessLibc.O_NONBLOCK);
        if (set < 0) {
            libc.close(fd);
            throw libc.failure("make " + description + " non-blocking", set);
        }
        return NativeFd.adopt(fdLibc, fd, false, description, () -> { });
    }

    /** Makes a pipe for fd {@code target}; returns the child's end, records both ends in {@code ends}. */
    private int openPipe(int target, int[] ends) throws IOException {
        int[] fds = new int[2];
        int r = libc.pipe2(fds, ProcessLibc.O_CLOEXEC);
        if (r < 0) {
            throw libc.failure("pipe2 for fd " + target, r);
        }
        boolean childReads = target == 0;
        ends[target] = childReads ? fds[0] : fds[1];
        ends[3 + target] = childReads ? fds[1] : fds[0];
        return ends[target];
    }

    private void closeChildEnds(int[] ends) {
        for (int i = 0; i < 3; i++) {
            if (ends[i] >= 0) {
                libc.close(ends[i]);
                ends[i] = -1;
            }
        }
    }

    /** argv[0] with a slash as it is; a bare name looked up in the PATH of the child's environment. */
    static String resolve(SpawnSpec spec) throws IOException {
        String name = spec.argv().get(0);
        if (name.indexOf('/') >= 0) {
            return name;
        }
        for (String directory : spec.searchPath().split(":", -1)) {
            Path candidate = Path.of(directory.isEmpty() ? "." : directory, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IOException("cannot start " + spec.commandLine() + ": " + name
                + " not found in PATH " + spec.searchPath());
    }
}
