package org.cvmagent.agent.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.cvmagent.agent.oci.OciSpecTranslator;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Stdio;
import org.cvmagent.agent.runtime.CreatedContainer;
import org.cvmagent.agent.runtime.Runc;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Container benchmarks through the agent over ttRPC (unix socket), with real runc; prints figures,
 * never judges them. Run with {@code bin/bench pod [--iterations N] [--megabytes M]}.
 *
 * <ul>
 *   <li>lifecycle of {@code /bin/true}: CreateContainer + StartContainer + WaitProcess +
 *       RemoveContainer, against {@code runc run} of the same bundle;</li>
 *   <li>ExecProcess + WaitProcess of {@code true} in a running container;</li>
 *   <li>ReadStdout throughput from a process writing zeros, at two read sizes.</li>
 * </ul>
 */
public final class PodBench {

    private PodBench() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = 50;
        int megabytes = 1024;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                case "--megabytes" -> megabytes = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --iterations N, --megabytes M)");
            }
        }
        Path dir = Files.createTempDirectory("cvm-agent-podbench");
        try (PodFixture fixture = new PodFixture(dir)) {
            fixture.pod.createSandbox(fixture.sandboxRequest("bench-pod"));
            fixture.run("bench-pod", "sleep", "100000");
            System.out.printf("pod benchmark: %d iterations, runc %s, %d cores%n", iterations,
                    runcVersion(fixture), Runtime.getRuntime().availableProcessors());
            lifecycle(fixture, iterations);
            exec(fixture, iterations);
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

    private static void exec(PodFixture fixture, int iterations) throws Exception {
        fixture.run("bench-exec", "sleep", "100000");
        long[] times = new long[iterations];
        for (int i = -3; i < iterations; i++) {
            long start = System.nanoTime();
            fixture.pod.exec("bench-exec", "e" + (i + 3), PodFixture.process(false, "true"));
            int code = fixture.pod.waitProcess("bench-exec", "e" + (i + 3));
            if (code != 0) {
                throw new IllegalStateException("exec exited " + code);
            }
            if (i >= 0) {
                times[i] = System.nanoTime() - start;
            }
        }
        print("ExecProcess + WaitProcess (true)", times);
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
        System.out.printf("ReadStdout, %d KiB reads: %d MiB in %.2f s = %.0f MB/s%n", readSize / 1024, megabytes,
                elapsed / 1e9, total / 1e6 / (elapsed / 1e9));
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
