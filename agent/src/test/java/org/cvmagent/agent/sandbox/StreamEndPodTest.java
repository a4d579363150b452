package org.cvmagent.agent.sandbox;

import io.grpc.Status.Code;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.agent.config.TrustMode;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.policy.RegoCompilers;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The end of a process's output as each kata runtime generation reads it, over ttRPC with real
 * runc, the way kata's shim drives it: stdout and stderr copied concurrently, WaitProcess only
 * once both copies ended. Before Feb 2026 the runtime's copy stopped on an error only (an empty
 * answer made it read again); after, an empty answer is the end. And the same under a policy that
 * denies ReadStreamRequest: empty answers, and the workload is never blocked by its output.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StreamEndPodTest {

    /** Empty answers an old runtime may see before the error; more would be a spinning shim. */
    private static final int OLD_SHIM_EMPTY_READS = 3;
    private static final int READ_LEN = 32 * 1024;

    @TempDir
    Path dir;

    private final ExecutorService copies = Executors.newVirtualThreadPerTaskExecutor();

    /** How one runtime generation copies a stream; what it read. */
    private interface ShimCopy {
        Copied copy(PodClient pod, String id, String execId, boolean stdout) throws Exception;
    }

    private record Copied(byte[] data, int reads, int emptyReads, RpcException endedBy) {
    }

    /** kata after Feb 2026: the first empty answer is end of stream. */
    private static Copied newRuntime(PodClient pod, String id, String execId, boolean stdout) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int reads = 0;
        while (true) {
            byte[] data = pod.read(id, execId, READ_LEN, stdout);
            reads++;
            if (data.length == 0) {
                return new Copied(out.toByteArray(), reads, 1, null);
            }
            out.write(data);
        }
    }

    /** kata before Feb 2026: io.Copy over readProcessStream, which ends on an error only. */
    private static Copied oldRuntime(PodClient pod, String id, String execId, boolean stdout) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int reads = 0;
        int empty = 0;
        while (true) {
            byte[] data;
            try {
                data = pod.read(id, execId, READ_LEN, stdout);
            } catch (RpcException e) {
                return new Copied(out.toByteArray(), reads, empty, e);
            }
            reads++;
            if (data.length == 0 && ++empty > OLD_SHIM_EMPTY_READS) {
                fail("an old runtime would spin: " + empty + " empty answers on " + id + (stdout ? " stdout" : " stderr"));
            }
            out.write(data);
        }
    }

    @Test
    void bothRuntimeGenerationsReadTheWholeOutputThenStopThenGetTheExit() throws Exception {
        String script = "seq 1 200000; seq 1 50000 >&2; exit 3";
        String expectedOut = lines(200000);
        String expectedErr = lines(50000);
        try (PodFixture fixture = new PodFixture(dir)) {
            PodClient pod = fixture.pod;
            pod.createSandbox(fixture.sandboxRequest("eof-pod"));
            fixture.run("eof-pod", "sleep", "100000");
            for (String generation : new String[] {"old", "new"}) {
                ShimCopy copy = generation.equals("old") ? StreamEndPodTest::oldRuntime : StreamEndPodTest::newRuntime;
                String id = generation + "-app";
                fixture.run(id, "sh", "-c", script);
                Copied out = shimReads(pod, id, "", copy, expectedOut, expectedErr);
                assertEquals(3, pod.waitProcess(id, ""), generation + ": the exit after both copies ended");

                // the same through an exec process, which the agent forgets once waited and read
                pod.exec("eof-pod", generation + "-exec", PodFixture.process(false, "sh", "-c", script));
                shimReads(pod, "eof-pod", generation + "-exec", copy, expectedOut, expectedErr);
                assertEquals(3, pod.waitProcess("eof-pod", generation + "-exec"));
                if (generation.equals("old")) {
                    assertEquals(Code.INTERNAL, out.endedBy().code(), out.endedBy().getMessage());
                    assertTrue(out.endedBy().getMessage().contains("read meet eof"), out.endedBy().getMessage());
                }
            }
        }
    }

    /** Copies stdout and stderr concurrently, as the shim does; stdout's copy. */
    private Copied shimReads(PodClient pod, String id, String execId, ShimCopy copy, String expectedOut,
                             String expectedErr) throws Exception {
        Future<Copied> out = copies.submit(() -> copy.copy(pod, id, execId, true));
        Future<Copied> err = copies.submit(() -> copy.copy(pod, id, execId, false));
        Copied stdout = out.get(2, TimeUnit.MINUTES);
        Copied stderr = err.get(2, TimeUnit.MINUTES);
        assertEquals(expectedOut, new String(stdout.data(), StandardCharsets.US_ASCII), id + "/" + execId + " stdout");
        assertEquals(expectedErr, new String(stderr.data(), StandardCharsets.US_ASCII), id + "/" + execId + " stderr");
        return stdout;
    }

    @Test
    void underAPolicyDenyingReadStreamTheOutputIsDrainedAndEveryAnswerIsEmpty() throws Exception {
        Path policy = dir.resolve("default-policy.rego");
        Files.writeString(policy, resource("/policies/coco-default.rego"));
        PolicyEngine engine = AgentServices.policyEngine(policy, RegoCompilers.installed(), java.util.Optional.empty(),
                TrustMode.DEVELOPMENT);
        // 256 MiB to each stream, far beyond the pipe and the agent's 4 MiB buffer per stream
        String script = "dd if=/dev/zero bs=1048576 count=256 status=none;"
                + " dd if=/dev/zero bs=1048576 count=256 status=none >&2; echo done >&2";
        try (PodFixture fixture = new PodFixture(dir, engine)) {
            PodClient pod = fixture.pod;
            pod.createSandbox(fixture.sandboxRequest("coco-pod"));
            fixture.run("coco-pod", "sleep", "100000");
            for (String generation : new String[] {"new", "old"}) {
                ShimCopy copy = generation.equals("old") ? StreamEndPodTest::deniedOldRuntime : StreamEndPodTest::newRuntime;
                String id = generation + "-writer";
                fixture.run(id, "sh", "-c", script);
                Future<Copied> out = copies.submit(() -> copy.copy(pod, id, "", true));
                Future<Copied> err = copies.submit(() -> copy.copy(pod, id, "", false));
                Copied stdout = out.get(2, TimeUnit.MINUTES);
                Copied stderr = err.get(2, TimeUnit.MINUTES);
                assertEquals(0, stdout.data().length + stderr.data().length, generation + ": no output was revealed");
                // a new runtime stopped at its first (empty) answer: from then on nobody reads, and
                // the agent's draining alone lets the writer finish
                assertEquals(0, pod.waitProcess(id, ""), generation + ": the writer ran to completion");
            }
        }
    }

    /** An old runtime under the denial: many empty answers (one per batch of output), then the error. */
    private static Copied deniedOldRuntime(PodClient pod, String id, String execId, boolean stdout) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int reads = 0;
        while (true) {
            try {
                out.write(pod.read(id, execId, READ_LEN, stdout));
                reads++;
            } catch (RpcException e) {
                assertEquals(Code.INTERNAL, e.code(), e.getMessage());
                return new Copied(out.toByteArray(), reads, reads, e);
            }
        }
    }

    private static String lines(int count) {
        return IntStream.rangeClosed(1, count).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    private static String resource(String name) throws Exception {
        try (InputStream in = StreamEndPodTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
