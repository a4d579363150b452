package org.cvmagent.rootfs;

import io.grpc.Status.Code;
import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.GuestDetailsRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The guest's trust boundary under the host's attacks (issue 13's security review), done as the
 * host does them: words on the kernel command line (agent options, and KEY=value words the kernel
 * hands to init as environment variables), a host disk holding an allow-all policy, init-data on a
 * kata-style init-data disk, and the production image booted without a TEE.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class GuestTrustTest {

    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofMinutes(1);
    /** Every setting the review used to move the trust boundary, as kernel command line words. */
    private static final List<String> HOSTILE_WORDS = List.of(
            "agent.oci_runtime=/bin/false", "CVM_AGENT_OCI_RUNTIME=/bin/false",
            "agent.image_policy_file=/dev/vdb", "agent.image_insecure_registries=10.0.2.2:5000",
            "agent.policy_file=/nonexistent", "KATA_AGENT_POLICY_FILE=/dev/vdb",
            "agent.grpc_server_addr=tcp://0.0.0.0:50051", "agent.config_file=/dev/vdb",
            "AA_SAMPLE_ATTESTER_TEST=1", "CVM_AGENT_SANDBOX_ROOT=/tmp",
            "JAVA_TOOL_OPTIONS=-XX:OnOutOfMemoryError=/bin/sh", "LD_PRELOAD=/dev/vdb");

    @TempDir
    Path dir;

    private static GuestImage image;

    @BeforeAll
    static void build(@TempDir Path logs) throws Exception {
        image = GuestImage.ofCheckout();
        image.build(logs.resolve("build.log"));
    }

    @Test
    void theHostsKernelCommandLineAndDisksCannotMoveTheTrustBoundary() throws Exception {
        // A host disk whose content is an allow-all policy, named as the policy file and more.
        Path hostDisk = dir.resolve("host-disk.img");
        Files.writeString(hostDisk, GuestInitData.shippedPolicy("allow-all.rego") + " ".repeat(512));
        try (Guest guest = Guest.boot(image, dir, List.of("--disk", hostDisk.toString()), HOSTILE_WORDS)) {
            try {
                try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                    awaitServing(guest, client);
                    PodClient pod = new PodClient(client, CALL_TIMEOUT);
                    pod.createSandbox(GuestPodRequests.sandbox("trust-pod"));
                    // the image's runtime ran it: agent.oci_runtime=/bin/false would have failed every container
                    pod.createContainer(GuestPodRequests.container("trust-pod",
                            GuestPodRequests.process("sh", "-c", "exit 3")));
                    pod.startContainer("trust-pod");
                    assertEquals(3, pod.waitProcess("trust-pod", ""));
                    // the image's confidential default decides, not the host's allow-all disk
                    denied("ExecProcessRequest", () -> pod.exec("trust-pod", "e1", GuestPodRequests.process("true")));
                    denied("SetPolicyRequest", () -> pod.setPolicy(GuestInitData.shippedPolicy("allow-all.rego")));
                    pod.destroySandbox();
                }
                assertPoweredOff(guest);
                String console = guest.console();
                for (String word : HOSTILE_WORDS) {
                    String name = word.substring(0, word.indexOf('='));
                    boolean agentOption = name.startsWith("agent.");
                    String expected = agentOption ? "ignoring kernel command line parameter " + name
                            : "init: ignoring environment variable " + name + " from the kernel command line";
                    assertTrue(console.contains(expected), "no line saying '" + expected + "'");
                }
                assertTrue(console.contains("confidential test image mode"), "the agent's mode line");
            } catch (AssertionError | Exception e) {
                System.out.println("guest console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
        }
    }

    @Test
    void aKataInitDataDiskCarryingAGenpolicyPolicyDecides() throws Exception {
        // A real genpolicy policy (53 KB; ~14 KB as the annotation's base64 of gzip: far beyond the
        // kernel command line's 2 KiB), on the disk kata 3.x makes from the cc_init_data annotation.
        String genpolicy = Files.readString(Path.of("/work/shared/testdata/kata-policy/pod-exec/policy.rego"));
        assertTrue(!genpolicy.contains("'''"), "the policy fits in a TOML literal string");
        Path initData = GuestInitData.write(dir.resolve("initdata.toml"), java.util.Map.of("policy.rego", genpolicy));
        try (Guest guest = Guest.boot(image, dir, List.of("--initdata", initData.toString()), List.of())) {
            try {
                try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                    awaitServing(guest, client);
                    assertTrue(guest.console().contains("init-data from init-data device /dev/vdb NOT verified"),
                            "init-data read from the disk (and said to be unverified on this TEE-less test image)");
                    // genpolicy's rules decide: guest details allowed, our test sandbox is not its pod
                    client.call(AgentServiceGrpc.getGetGuestDetailsMethod(), GuestDetailsRequest.getDefaultInstance(),
                            CALL_TIMEOUT);
                    PodClient pod = new PodClient(client, CALL_TIMEOUT);
                    denied("CreateSandboxRequest", () -> pod.createSandbox(GuestPodRequests.sandbox("other-pod")));
                    assertTrue(guest.awaitConsole(Pattern.compile("CreateSandboxRequest: input.guest_hook_path"),
                            Duration.ofSeconds(10)).isPresent(), "genpolicy's own print in the decision log");
                    pod.destroySandbox();
                }
                assertPoweredOff(guest);
            } catch (AssertionError | Exception e) {
                System.out.println("guest console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
        }
    }

    @Test
    void theProductionImageWithoutATeeRefusesToServeAndPowersOff() throws Exception {
        try (Guest guest = Guest.boot(image, dir, List.of("--production"), List.of())) {
            if (!guest.awaitExit(BOOT_TIMEOUT)) {
                fail("the production image kept running without a TEE:\n" + guest.console());
            }
            String console = guest.console();
            assertTrue(console.contains("confidential image without a TEE"), console);
            assertTrue(console.contains("reboot: Power down"), "powered off: " + console);
            assertEquals(Optional.of(0), guest.exitCode());
        }
    }

    private static void awaitServing(Guest guest, AgentClient client) throws Exception {
        HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                CheckRequest.getDefaultInstance(), BOOT_TIMEOUT);
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
        System.out.printf("guest (trust): boot-to-SERVING %.1f s%n", guest.sinceStart().toMillis() / 1000.0);
    }

    private static void assertPoweredOff(Guest guest) throws Exception {
        if (!guest.awaitExit(POWER_OFF_TIMEOUT)) {
            fail("the guest did not power off within " + POWER_OFF_TIMEOUT + " of DestroySandbox");
        }
        assertEquals(Optional.of(0), guest.exitCode(), "QEMU's exit code after the guest powered off");
    }

    private static void denied(String requestType, Executable call) {
        RpcException e = assertThrows(RpcException.class, call);
        assertEquals(Code.PERMISSION_DENIED, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(requestType + " is blocked by policy"), e.getMessage());
    }
}
