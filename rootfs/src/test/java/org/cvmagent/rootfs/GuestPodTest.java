package org.cvmagent.rootfs;

import io.grpc.Status.Code;
import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The guest end to end: build the image, boot it in QEMU (TCG) with the agent as PID 1 on a
 * virtio-serial port, wait for Health/Check SERVING over that port, then drive a pod as a kata shim
 * would under the shipped confidential default policy, and end with DestroySandbox powering the
 * VM off (QEMU exits). Prints the boot-to-SERVING time and the agent's RSS in the guest.
 *
 * <p>Nothing here is skipped: without QEMU or the kernel (scripts/setup and rootfs/build install
 * them) the test fails.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GuestPodTest {

    /** TCG on a shared two-core machine: generous, since a slow boot must show as a number, not a failure. */
    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofMinutes(1);
    private static final Pattern SERVING = Pattern.compile(
            "serving ttrpc on serial://\\S+ as the guest's init; confidential test image mode; rss (\\d+) KiB[^;]*?, "
                    + "system uptime ([0-9.]+) s");
    private static final Pattern AOT_WARNING = Pattern.compile("\\[(warning|error)\\]\\[(aot|cds)[^\\n]*");
    private static final Pattern STOPPED = Pattern.compile("agent stopped; rss (\\d+) KiB");

    @TempDir
    Path dir;

    @Test
    void aPodRunsInTheGuestUnderTheConfidentialPolicyAndDestroySandboxPowersItOff() throws Exception {
        GuestImage image = GuestImage.ofCheckout();
        image.build(dir.resolve("build.log"));
        try (Guest guest = Guest.boot(image, dir)) {
            try {
                bootRunPodAndPowerOff(guest);
            } catch (AssertionError | Exception e) {
                System.out.println("guest console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
        }
    }

    private static void bootRunPodAndPowerOff(Guest guest) throws Exception {
        try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
            awaitServing(guest, client);
            runPod(new PodClient(client, CALL_TIMEOUT));
        }
        if (!guest.awaitExit(POWER_OFF_TIMEOUT)) {
            fail("the guest did not power off within " + POWER_OFF_TIMEOUT + " of DestroySandbox");
        }
        String console = guest.console();
        assertTrue(console.contains("reboot: Power down"), "no power-off on the console");
        assertEquals(Optional.of(0), guest.exitCode(), "QEMU's exit code after the guest powered off");
        // The pod ran on the runtime the image's measured agent.toml names (crun since issue 16).
        String runtime = imageRuntime();
        assertTrue(console.contains("containers run with the OCI runtime " + runtime),
                "the agent did not say it runs containers with " + runtime + ", the runtime of rootfs/agent.toml");
        System.out.println("guest: containers ran with " + runtime);
        Matcher stopped = STOPPED.matcher(console);
        if (stopped.find()) {
            System.out.println("guest: agent RSS after the pod: " + stopped.group(1) + " KiB");
        }
    }

    /** The OCI runtime rootfs/agent.toml names, as the agent resolves it. */
    private static String imageRuntime() throws java.io.IOException {
        Path toml = GuestImage.ofCheckout().root().resolve("rootfs/agent.toml");
        Matcher m = Pattern.compile("(?m)^oci_runtime = \"([^\"]+)\"").matcher(java.nio.file.Files.readString(toml));
        assertTrue(m.find(), "rootfs/agent.toml names no oci_runtime");
        return switch (m.group(1)) {
            case "runc" -> "/usr/sbin/runc";
            case "crun" -> "/usr/bin/crun";
            default -> m.group(1);
        };
    }

    private static void awaitServing(Guest guest, AgentClient client) throws Exception {
        HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                CheckRequest.getDefaultInstance(), BOOT_TIMEOUT);
        Duration boot = guest.sinceStart();
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
        System.out.printf("guest: boot-to-SERVING %.1f s (QEMU start to the Health/Check answer over virtio-serial)%n",
                boot.toMillis() / 1000.0);
        Matcher serving = guest.awaitConsole(SERVING, Duration.ofSeconds(10)).orElseThrow(() ->
                new AssertionError("the agent's serving line (as PID 1, with its RSS) is not on the console"));
        System.out.println("guest: agent RSS at SERVING " + serving.group(1) + " KiB; guest uptime at SERVING "
                + serving.group(2) + " s");
        // A JVM that cannot map the image's AOT cache says so on stderr and starts much slower.
        Optional<Matcher> aotWarning = guest.awaitConsole(AOT_WARNING, Duration.ZERO);
        assertTrue(aotWarning.isEmpty(), () -> "the guest's JVM complained about its AOT cache: "
                + aotWarning.get().group());
    }

    /**
     * A pause container and an app under coco-default.rego, the image's confidential default: the
     * app's exit code is readable; a read of its output answers no data (kata's redaction); exec and
     * SetPolicy (the host installing allow-all) are denied; a container whose spec asks for no namespaces still gets its own PID namespace.
     */
    private static void runPod(PodClient pod) throws Exception {
        pod.createSandbox(GuestPodRequests.sandbox("guest-pod"));
        pod.createContainer(GuestPodRequests.container("guest-pod", GuestPodRequests.process("sleep", "100000")));
        pod.startContainer("guest-pod");
        pod.createContainer(GuestPodRequests.container("app",
                GuestPodRequests.process("sh", "-c", "echo hello from the guest; exit 7")));
        pod.startContainer("app");
        assertEquals(7, pod.waitProcess("app", ""), "the app's exit code");

        // a denied read is answered without data, as kata redacts it
        assertEquals(0, pod.read("app", "", 100, true).length, "ReadStdout under the policy reveals nothing");
        denied("ExecProcessRequest", () -> pod.exec("guest-pod", "ex1", GuestPodRequests.process("true")));

        // The review's attack 6: the shipped default allowed SetPolicy, so the host installed allow-all.
        denied("SetPolicyRequest", () -> pod.setPolicy(GuestInitData.shippedPolicy("allow-all.rego")));
        denied("ExecProcessRequest", () -> pod.exec("guest-pod", "ex2", GuestPodRequests.process("true")));

        // "Namespaces": [] used to leave the container in the agent's PID and mount namespaces, where
        // PID 1 is the agent's JVM. Exit 0: its PID 1 is its own shell.
        CreateContainerRequest bare = GuestPodRequests.container("bare",
                GuestPodRequests.process("sh", "-c", "[ \"$(cat /proc/1/comm)\" != java ]"));
        pod.createContainer(bare.toBuilder().setSandboxPidns(false).setOCI(bare.getOCI().toBuilder().clearHostname()
                .setLinux(bare.getOCI().getLinux().toBuilder().clearNamespaces())).build());
        pod.startContainer("bare");
        assertEquals(0, pod.waitProcess("bare", ""), "the namespace-less container saw the agent as its PID 1");
        pod.removeContainer("bare", 0);
        pod.removeContainer("app", 0);
        pod.destroySandbox();
    }

    private static void denied(String requestType, Executable call) {
        RpcException e = assertThrows(RpcException.class, call);
        assertEquals(Code.PERMISSION_DENIED, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(requestType + " is blocked by policy"), e.getMessage());
    }
}
