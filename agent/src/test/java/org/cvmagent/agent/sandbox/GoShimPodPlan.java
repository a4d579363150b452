package org.cvmagent.agent.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The pod the Go shim-like client ({@code ttrpc-peer pod}) drives, and what it must see: a
 * pause-like container, an app container writing known text to both streams, and an exec into
 * the pause container, each with its own exit code. {@link #write} hands the client the requests
 * built by {@link PodRequests} (the same as the Java runc pod tests send) as its plan file.
 */
public final class GoShimPodPlan {

    public static final String SANDBOX = "go-shim-pod";
    public static final String PAUSE = "pause";
    public static final String APP = "app";
    public static final String EXEC = "exec-1";
    public static final String UNKNOWN = "no-such-container";

    /**
     * Like the pause image it stands for, it exits on SIGTERM: as its namespace's PID 1, a signal
     * it does not catch would be dropped. It names the signal on stderr so the report shows the
     * SIGTERM arrived, and exits 143 (128 + SIGTERM) so that exit is unmistakable.
     */
    static final String PAUSE_SCRIPT = "echo pause: started;"
            + " trap 'echo pause: got SIGTERM >&2; exit 143' TERM; while true; do sleep 0.2; done";
    public static final String PAUSE_STDOUT = "pause: started\n";
    public static final String PAUSE_STDERR = "pause: got SIGTERM\n";
    public static final int PAUSE_EXIT = 143;

    /** About 100 KiB on stdout (several reads of the client's 32 KiB) and 36 KiB on stderr. */
    static final String APP_SCRIPT = "seq 1 20000; yes stderr-line | head -n 3000 >&2; exit 7";
    public static final String APP_STDOUT = lines(1, 20000);
    public static final String APP_STDERR = "stderr-line\n".repeat(3000);
    public static final int APP_EXIT = 7;

    /**
     * Under a policy denying ReadStreamRequest the agent answers one empty read per batch of new
     * output, so an old runtime's copy sees as many empty answers as the process made batches
     * before the end: one short write per stream keeps that within the client's limit.
     */
    static final String DENIED_APP_SCRIPT = "echo hidden-stdout; echo hidden-stderr >&2; exit 7";

    static final String EXEC_SCRIPT = "echo exec-stdout; seq 1 2000; echo exec-stderr >&2; exit 5";
    public static final String EXEC_STDOUT = "exec-stdout\n" + lines(1, 2000);
    public static final String EXEC_STDERR = "exec-stderr\n";
    public static final int EXEC_EXIT = 5;

    private static final ObjectMapper JSON = new ObjectMapper();

    private GoShimPodPlan() {
    }

    /**
     * Writes the plan: CreateSandbox, the two containers' CreateContainer and the exec's Process
     * as protobuf bytes (base64 in JSON).
     *
     * @param deniedByPolicy the agent's policy denies ReadStreamRequest (see {@link #DENIED_APP_SCRIPT})
     */
    public static Path write(PodRequests requests, Path file, boolean deniedByPolicy) throws IOException {
        String app = deniedByPolicy ? DENIED_APP_SCRIPT : APP_SCRIPT;
        ObjectNode plan = JSON.createObjectNode();
        plan.put("create_sandbox", requests.sandboxRequest(SANDBOX).toByteArray());
        plan.set("pause", container(requests, PAUSE, PAUSE_SCRIPT));
        plan.set("app", container(requests, APP, app));
        ObjectNode exec = plan.putObject("exec");
        exec.put("id", EXEC);
        exec.put("process", PodRequests.process(false, "sh", "-c", EXEC_SCRIPT).toByteArray());
        JSON.writeValue(file.toFile(), plan);
        return file;
    }

    private static ObjectNode container(PodRequests requests, String id, String script) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", id);
        c.put("create", requests.container(id, PodRequests.process(false, "sh", "-c", script)).toByteArray());
        return c;
    }

    private static String lines(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
    }
}
