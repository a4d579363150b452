package org.cvmagent.agent.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cvmagent.agent.oci.OciSpecTranslator;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.SpawnSpec;
import org.cvmagent.agent.process.SpawnedProcess;
import org.cvmagent.agent.process.Stdio;
import org.cvmagent.agent.runtime.CreatedContainer;
import org.cvmagent.agent.runtime.Runc;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.testing.GoPeer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Container benchmarks through the agent over ttRPC (unix socket), with real runc; prints figures,
 * never judges them. Run with {@code bin/bench pod [--iterations N] [--megabytes M] [--split-cores]}.
 *
 * <ul>
 *   <li>lifecycle of {@code /bin/true}: CreateContainer + StartContainer + WaitProcess +
 *       RemoveContainer, against {@code runc run} of the same bundle;</li>
 *   <li>ExecProcess + WaitProcess of {@code true} in a running container, against {@code runc exec}
 *       of the same process into the same container by hand ({@code --detach} as the agent runs it,
 *       and in the foreground);</li>
 *   <li>ReadStdout throughput from a process writing zeros: read as kata's shim reads, one call at a
 *       time, by the Go client ({@code ttrpc-peer read}: containerd's ttRPC, in its own process) at
 *       32 KiB (the shim's io.Copy buffer) and 64 KiB, and by this JVM's own client at 64 KiB and 1 MiB
 *       (that client shares the agent's cores and JIT, so it understates what a shim sees). With
 *       {@code --split-cores} the agent and the workload run on CPU 0 and the Go client on CPU 1: a
 *       1-vCPU guest (kata's default) with the shim on the host, where the client's CPU is not the
 *       guest's.</li>
 * </ul>
 */
public final class PodBench {

    private PodBench() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = 50;
        int megabytes = 1024;
        boolean splitCores = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                case "--megabytes" -> megabytes = Integer.parseInt(args[++i]);
                case "--split-cores" -> splitCores = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --iterations N, --megabytes M, --split-cores)");
            }
        }
        // Built before the fixture starts its Reaper: go build runs through java.lang.Process.
        Path goPeer = GoPeer.get().binary();
        Path dir = Files.createTempDirectory("cvm-agent-podbench");
        try (PodFixture fixture = new PodFixture(dir)) {
            fixture.pod.createSandbox(fixture.sandboxRequest("bench-pod"));
            fixture.run("bench-pod", "sleep", "100000");
            System.out.printf("pod benchmark: %d iterations, runc %s, %d cores%n", iterations,
                    runcVersion(fixture), Runtime.getRuntime().availableProcessors());
            lifecycle(fixture, iterations);
            exec(fixture, iterations);
            // Split: bin/bench pinned this JVM (the agent, and so runc and the workload) to CPU 0, and
            // the client goes to CPU 1, as a 1-vCPU guest's agent and a shim on the host.
            List<String> clientPrefix = splitCores ? List.of("taskset", "-c", "1") : List.of();
            readStdoutGo(fixture, goPeer, clientPrefix, megabytes, 32 * 1024);
            readStdoutGo(fixture, goPeer, clientPrefix, megabytes, 64 * 1024);
            readStdout(fixture, megabytes, 64 * 1024);
            readStdout(fixture, megabytes, 1024 * 1024);
        }
    }

    private static void lifecycle(PodFixture fixture, int iterations) throws Exception {
        String rootfs = fixture.rootfs("bench-true");
        for (int i = 0; i < 3; i++) {
            agentLifecycle(fixture, rootfs, "warm-" + i, new long[4]);
            bareRunc(fixture, "warm-" + i);
            bareRuncSteps(fixture, "warm-steps-" + i);
        }
        long[] agent = new long[iterations];
        long[] bare = new long[iterations];
        long[] steps = new long[iterations];
        long[][] agentSteps = new long[4][iterations];
        for (int i = 0; i < iterations; i++) {
            // Interleaved, so all see the same machine load.
            long[] split = new long[4];
            agent[i] = agentLifecycle(fixture, rootfs, "agent-" + i, split);
            for (int s = 0; s < 4; s++) {
                agentSteps[s][i] = split[s];
            }
            bare[i] = bareRunc(fixture, "bare-" + i);
            steps[i] = bareRuncSteps(fixture, "steps-" + i);
        }
        print("lifecycle /bin/true via agent", agent);
        String[] names = {"CreateContainer", "StartContainer", "WaitProcess", "RemoveContainer"};
        for (int s = 0; s < 4; s++) {
            print("  of which " + names[s], agentSteps[s]);
        }
        print("lifecycle /bin/true bare runc run", bare);
        print("runc create+start+wait+delete", steps);
        System.out.printf("  ratio agent/bare runc run (median): %.2fx%n", (double) median(agent) / median(bare));
        System.out.printf("  ratio agent/runc create+start+delete, the same steps (median): %.2fx%n",
                (double) median(agent) / median(steps));
    }

    private static long agentLifecycle(PodFixture fixture, String rootfs, String id, long[] split) throws Exception {
        long start = System.nanoTime();
        fixture.pod.createContainer(CreateContainerRequest.newBuilder().setContainerId(id)
                .setOCI(fixture.spec(id, rootfs, PodFixture.process(false, "/bin/true"),
                        LinuxResources.getDefaultInstance())).build());
        long created = System.nanoTime();
        fixture.pod.startContainer(id);
        long started = System.nanoTime();
        int code = fixture.pod.waitProcess(id, "");
        long waited = System.nanoTime();
        fixture.pod.removeContainer(id, 0);
        long removed = System.nanoTime();
        split[0] = created - start;
        split[1] = started - created;
        split[2] = waited - started;
        split[3] = removed - waited;
        long elapsed = removed - start;
        if (code != 0) {
            throw new IllegalStateException(id + " exited " + code);
        }
        return elapsed;
    }

    /** {@code runc run} of the bundle the agent would write for the same spec, stdio on /dev/null. */
    private static long bareRunc(PodFixture fixture, String id) throws Exception {
        Path bundle = fixture.dir.resolve("bare-bundles").resolve(id);
        Files.createDirectories(bundle);
        Spec spec = fixture.spec(id, fixture.hostRootfs("bench-true").toString(), PodFixture.process(false, "/bin/true"),
                LinuxResources.getDefaultInstance());
        new ObjectMapper().writeValue(bundle.resolve("config.json").toFile(), new OciSpecTranslator().translate(spec));
        CommandRunner runner = new CommandRunner(new PosixSpawner(fixture.host.reaper()));
        long start = System.nanoTime();
        CommandResult result = runner.run(List.of("/usr/sbin/runc", "--root", fixture.dir.resolve("bare-runc").toString(),
                "run", "--bundle", bundle.toString(), id), List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                Duration.ofSeconds(60));
        long elapsed = System.nanoTime() - start;
        if (!result.succeeded()) {
            throw new IllegalStateException("runc run " + id + ": " + result.stderrText());
        }
        return elapsed;
    }

    /**
     * The agent's own runc steps without the agent: create (with stdio pipes, as the agent's),
     * start, wait for the init, delete.
     */
    private static long bareRuncSteps(PodFixture fixture, String id) throws Exception {
        Path bundle = fixture.dir.resolve("bare-bundles").resolve(id);
        Files.createDirectories(bundle);
        Spec spec = fixture.spec(id, fixture.hostRootfs("bench-true").toString(), PodFixture.process(false, "/bin/true"),
                LinuxResources.getDefaultInstance());
        new ObjectMapper().writeValue(bundle.resolve("config.json").toFile(), new OciSpecTranslator().translate(spec));
        PosixSpawner spawner = new PosixSpawner(fixture.host.reaper());
        Runc runc = new Runc(spawner, new CommandRunner(spawner), Path.of("/usr/sbin/runc"),
                fixture.dir.resolve("bare-runc"), Duration.ofSeconds(60));
        long start = System.nanoTime();
        CreatedContainer created = runc.create(id, bundle, Stdio.PIPE, Stdio.PIPE, Stdio.PIPE);
        var exit = fixture.host.reaper().expect(created.initPid());
        runc.start(id);
        exit.get();
        runc.delete(id, false);
        long elapsed = System.nanoTime() - start;
        created.stdio().closeStreams();
        return elapsed;
    }

    /**
     * ExecProcess + WaitProcess of {@code true} through the agent, interleaved with the same exec
     * by hand into the same running container (the agent's runc root): {@code runc exec --detach
     * --pid-file --process} with the agent's flags ({@code --log}, {@code --log-format json}) and
     * stdio pipes, then the exit of the pid it names collected by the reaper — the agent's own
     * steps, so the fair comparison — and, for reference, a foreground {@code runc exec --process},
     * where runc itself waits for the process and exits with its code.
     */
    private static void exec(PodFixture fixture, int iterations) throws Exception {
        String container = "bench-exec";
        fixture.run(container, "sleep", "100000");
        Path runcRoot = fixture.stateDir.resolve("runc");
        Path processJson = fixture.dir.resolve("bench-exec-process.json");
        new ObjectMapper().writeValue(processJson.toFile(),
                new OciSpecTranslator().translateProcess(PodFixture.process(false, "true")));
        PosixSpawner spawner = new PosixSpawner(fixture.host.reaper());
        long[] agent = new long[iterations];
        long[] detached = new long[iterations];
        long[] foreground = new long[iterations];
        for (int i = -3; i < iterations; i++) {
            String execId = "e" + (i + 3);
            long start = System.nanoTime();
            fixture.pod.exec(container, execId, PodFixture.process(false, "true"));
            int code = fixture.pod.waitProcess(container, execId);
            long agentTime = System.nanoTime() - start;
            if (code != 0) {
                throw new IllegalStateException("exec exited " + code);
            }
            long detachedTime = bareExecDetached(fixture, spawner, runcRoot, container, processJson);
            long foregroundTime = bareExecForeground(spawner, runcRoot, container, processJson);
            if (i >= 0) {
                agent[i] = agentTime;
                detached[i] = detachedTime;
                foreground[i] = foregroundTime;
            }
        }
        print("ExecProcess + WaitProcess (true)", agent);
        print("runc exec --detach + wait (true)", detached);
        print("runc exec, foreground (true)", foreground);
        System.out.printf("  ratio agent/runc exec --detach + wait, the same steps (median): %.2fx%n",
                (double) median(agent) / median(detached));
        System.out.printf("  ratio agent/runc exec foreground (median): %.2fx%n",
                (double) median(agent) / median(foreground));
    }

    /** The agent's runc exec by hand: detached, pid file, JSON log, stdio pipes; the pid's exit from the reaper. */
    private static long bareExecDetached(PodFixture fixture, PosixSpawner spawner, Path runcRoot, String container,
                                         Path processJson) throws Exception {
        Path pidFile = fixture.dir.resolve("bench-exec.pid");
        Path log = fixture.dir.resolve("bench-exec.log");
        Files.deleteIfExists(pidFile);
        long start = System.nanoTime();
        SpawnedProcess runc = spawner.spawn(SpawnSpec.of("/usr/sbin/runc", "--root", runcRoot.toString(),
                "--log", log.toString(), "--log-format", "json", "exec", "--detach", "--pid-file", pidFile.toString(),
                "--process", processJson.toString(), container).withStdio(Stdio.PIPE, Stdio.PIPE, Stdio.PIPE));
        ExitStatus runcExit = runc.exit().get(60, TimeUnit.SECONDS);
        if (runcExit.kataCode() != 0) {
            throw new IllegalStateException("runc exec --detach: " + runcExit + ", log " + Files.readString(log));
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ExitStatus exit = fixture.host.reaper().expect(pid).get(60, TimeUnit.SECONDS);
        long elapsed = System.nanoTime() - start;
        runc.closeStreams();
        if (exit.kataCode() != 0) {
            throw new IllegalStateException("runc exec --detach: true exited " + exit);
        }
        return elapsed;
    }

    /** {@code runc exec --process} in the foreground: runc waits for the process and exits with its code. */
    private static long bareExecForeground(PosixSpawner spawner, Path runcRoot, String container, Path processJson)
            throws Exception {
        long start = System.nanoTime();
        CommandResult result = new CommandRunner(spawner).run(List.of("/usr/sbin/runc", "--root", runcRoot.toString(),
                "exec", "--process", processJson.toString(), container), List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                Duration.ofSeconds(60));
        long elapsed = System.nanoTime() - start;
        if (!result.succeeded()) {
            throw new IllegalStateException("runc exec: " + result.status() + " " + result.stderrText());
        }
        return elapsed;
    }

    private static void readStdout(PodFixture fixture, int megabytes, int readSize) throws Exception {
        String id = "bench-zeros-" + readSize;
        fixture.run(id, "dd", "if=/dev/zero", "bs=1048576", "count=" + megabytes);
        long start = System.nanoTime();
        long total = 0;
        while (true) {
            byte[] data = fixture.pod.read(id, "", readSize, true);
            if (data.length == 0) {
                break;
            }
            total += data.length;
        }
        long elapsed = System.nanoTime() - start;
        fixture.pod.waitProcess(id, "");
        if (total != (long) megabytes << 20) {
            throw new IllegalStateException("read " + total + " bytes, expected " + ((long) megabytes << 20));
        }
        System.out.printf("ReadStdout, %d KiB reads, in-JVM client: %d MiB in %.2f s = %.0f MB/s%n",
                readSize / 1024, megabytes, elapsed / 1e9, total / 1e6 / (elapsed / 1e9));
    }

    /** The Go client reads the stream in its own process; spawned as the agent spawns, beside the Reaper. */
    private static void readStdoutGo(PodFixture fixture, Path goPeer, List<String> prefix, int megabytes,
                                     int readSize) throws Exception {
        String id = "bench-zeros-go-" + readSize;
        fixture.run(id, "dd", "if=/dev/zero", "bs=1048576", "count=" + megabytes);
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of(goPeer.toString(), "read", "--socket", fixture.dir.resolve("agent.sock").toString(),
                "--container", id, "--read-len", Integer.toString(readSize)));
        CommandResult result = new CommandRunner(new PosixSpawner(fixture.host.reaper())).run(argv, List.of(),
                Duration.ofMinutes(10));
        fixture.pod.waitProcess(id, "");
        if (!result.succeeded()) {
            throw new IllegalStateException("ttrpc-peer read failed: " + result.status() + " " + result.stderrText());
        }
        JsonNode out = new ObjectMapper().readTree(result.stdoutText());
        long total = out.path("bytes").asLong();
        if (total != (long) megabytes << 20) {
            throw new IllegalStateException("the Go client read " + total + " bytes, expected "
                    + ((long) megabytes << 20));
        }
        String where = prefix.isEmpty() ? "" : " on CPU 1, agent on CPU 0";
        System.out.printf("ReadStdout, %d KiB reads, Go client%s: %d MiB in %.2f s = %.0f MB/s (%d calls)%n",
                readSize / 1024, where, megabytes, out.path("seconds").asDouble(),
                out.path("mb_per_sec").asDouble(), out.path("reads").asLong());
    }

    private static void print(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%-36s p50 %7.2f ms  p90 %7.2f ms  min %7.2f ms  (n=%d)%n", what,
                sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.9)] / 1e6, sorted[0] / 1e6,
                sorted.length);
    }

    private static long median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String runcVersion(PodFixture fixture) throws Exception {
        CommandResult result = new CommandRunner(new PosixSpawner(fixture.host.reaper()))
                .run(List.of("/usr/sbin/runc", "--version"), List.of(), Duration.ofSeconds(10));
        return result.stdoutText().lines().findFirst().orElse("?");
    }
}
