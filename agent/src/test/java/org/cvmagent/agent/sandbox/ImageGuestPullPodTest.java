package org.cvmagent.agent.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Storage;
import com.google.protobuf.ByteString;
import org.cvmagent.proto.cdh.GetResourceResponse;
import org.cvmagent.proto.cdh.GetResourceServiceGrpc;
import org.cvmagent.rpc.CallGates;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.ServerOptions;
import org.cvmagent.ttrpc.TtrpcServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * kata's image_guest_pull through the agent: the container's image comes from a real registry
 * (Debian's docker-registry, on 127.0.0.1 over plain HTTP, allowed by agent.image_insecure_registries),
 * is unpacked in the guest and runs; the signature policy refuses before the container exists.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ImageGuestPullPodTest {
    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    @TempDir
    Path dir;

    @BeforeAll
    static void pushBusybox(@TempDir Path layouts) throws Exception {
        OciLayout layout = OciLayout.busybox(layouts.resolve("busybox"), "1", "pulled in the guest\n");
        REGISTRY.push(layout, "1", "test/busybox");
        REGISTRY.push(layout, "1", "test/other");
    }

    private PodFixture pod(String extraCmdline) throws Exception {
        PodFixture f = new PodFixture(dir, PolicyEngine.NONE, KernelCmdline.parse(
                "agent.image_insecure_registries=" + REGISTRY.host() + " " + extraCmdline));
        f.pod.createSandbox(f.sandboxRequest("pull-pod"));
        return f;
    }

    private CreateContainerRequest pulled(PodFixture f, String id, String image) {
        String rootfs = f.sandboxRoot.resolve(id).resolve("rootfs").toString();
        CreateContainerRequest base = CreateContainerRequest.newBuilder().setContainerId(id)
                .setOCI(f.spec(id, rootfs, PodFixture.process(false, "cat", "/etc/motd"),
                        org.cvmagent.proto.agent.LinuxResources.getDefaultInstance()))
                .setSandboxPidns(true).build();
        return base.toBuilder().setOCI(base.getOCI().toBuilder().setRoot(Root.newBuilder().setPath(rootfs)))
                .addStorages(Storage.newBuilder().setDriver("image_guest_pull").setSource(image)
                        .addDriverOptions("image_guest_pull={\"metadata\":{\"io.kubernetes.cri.container-type\":"
                                + "\"container\"}}")
                        .setFstype("overlay").setMountPoint(rootfs))
                .build();
    }

    @Test
    void aContainerRunsFromAnImagePulledInTheGuest() throws Exception {
        try (PodFixture f = pod("")) {
            f.pod.createContainer(pulled(f, "app", REGISTRY.host() + "/test/busybox:1"));
            f.pod.startContainer("app");
            assertEquals("pulled in the guest\n", new String(f.pod.readAll("app", "", true), StandardCharsets.UTF_8));
            assertEquals(0, f.pod.waitProcess("app", ""));
            f.pod.removeContainer("app", 10);
            RpcException missing = assertThrows(RpcException.class, () -> f.pod.createContainer(
                    pulled(f, "nope", REGISTRY.host() + "/test/nothing:1")));
            assertEquals(Code.NOT_FOUND, missing.code(), missing.getMessage());
            RpcException bad = assertThrows(RpcException.class, () -> f.pod.createContainer(
                    pulled(f, "bad", "UPPER CASE/!!")));
            assertEquals(Code.INVALID_ARGUMENT, bad.code(), bad.getMessage());
        }
    }

    /**
     * init-data names a disk for the layer store that is not there: the agent starts (the disk is
     * set up at the first pull, not at start), and every pull fails naming the setting and the
     * reason; nothing is pulled into the state tmpfs instead.
     */
    @Test
    void aMissingImageStoreDeviceFailsEveryPullAndNothingFallsBackToRam() throws Exception {
        try (PodFixture f = new PodFixture(dir, PolicyEngine.NONE, KernelCmdline.parse(
                "agent.image_insecure_registries=" + REGISTRY.host()),
                java.util.Optional.of("[image]\nimage_store_device = \"/dev/cvm-no-such-disk\"\n"))) {
            f.pod.createSandbox(f.sandboxRequest("pull-pod"));
            for (String id : List.of("app", "again")) {
                RpcException refused = assertThrows(RpcException.class, () -> f.pod.createContainer(
                        pulled(f, id, REGISTRY.host() + "/test/busybox:1")));
                assertEquals(Code.FAILED_PRECONDITION, refused.code(), refused.getMessage());
                assertTrue(refused.getMessage().contains("init-data cdh.toml [image] image_store_device = "
                        + "\"/dev/cvm-no-such-disk\": no block device /dev/cvm-no-such-disk"), refused.getMessage());
                assertTrue(!f.host.sandbox().containerIds().contains(id), "no container was created");
            }
            assertTrue(Files.notExists(f.stateDir.resolve("images/store")), "no layer store in RAM");
            assertTrue(Files.notExists(f.stateDir.resolve("images-disk")), "nothing was mounted");
        }
    }

    @Test
    void cvmAgentCtlPullShowsProgressAndTheResult() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        org.cvmagent.agent.cli.AgentCtl ctl = new org.cvmagent.agent.cli.AgentCtl(
                new org.cvmagent.agent.cli.ClientFactory(new org.cvmagent.transport.Transports()),
                org.cvmagent.agent.cli.MethodCatalog.agentServices(), new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true), java.util.Map.of());
        String store = dir.resolve("store").toString();
        assertEquals(0, ctl.run(new String[] {"pull", REGISTRY.host() + "/test/busybox:1", "--store", store,
            "--insecure", REGISTRY.host()}), err.toString());
        assertTrue(out.toString().startsWith("pulled " + REGISTRY.host() + "/test/busybox:1@sha256:"), out.toString());
        assertTrue(out.toString().contains("(1 layer, config sha256:"), out.toString());
        List<String> lines = out.toString().lines().toList();
        assertEquals("signature: not verified (no signature policy)", lines.get(1), out.toString());
        assertEquals("unpacked layers, bottom to top:", lines.get(2), out.toString());
        Path layer = Path.of(lines.get(3).strip());
        assertTrue(layer.startsWith(Path.of(store)) && Files.isRegularFile(layer.resolve("etc/motd")),
                "the listed layer is the unpacked tree: " + out);
        assertTrue(err.toString().contains("[" + "#".repeat(30) + "] 100%"), err.toString());
        err.reset();
        assertEquals(1, ctl.run(new String[] {"pull", REGISTRY.host() + "/test/busybox:1", "--store", store}));
        assertTrue(err.toString().contains("failed"), "plain HTTP refused without --insecure: " + err);
        err.reset();
        Path reject = Files.writeString(dir.resolve("reject.json"), "{\"default\": [{\"type\": \"reject\"}]}");
        assertEquals(1, ctl.run(new String[] {"pull", REGISTRY.host() + "/test/busybox:1", "--store", store,
            "--insecure", REGISTRY.host(), "--policy", reject.toUri().toString()}));
        assertTrue(err.toString().contains("reject"), "a file:// policy as cdh.toml writes it is read: " + err);
    }

    @Test
    void theSignaturePolicyRefusesBeforeAnythingRuns() throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.json"), "{\"default\": [{\"type\": \"reject\"}]}");
        try (PodFixture f = pod("agent.image_policy_file=" + policy)) {
            RpcException refused = assertThrows(RpcException.class, () -> f.pod.createContainer(
                    pulled(f, "app", REGISTRY.host() + "/test/busybox:1")));
            assertEquals(Code.PERMISSION_DENIED, refused.code(), refused.getMessage());
            assertTrue(!f.host.sandbox().containerIds().contains("app"), "no container was created");
        }
    }

    /**
     * agent.image_policy_file=kbs:///… : the policy comes from the confidential data hub's socket at
     * the first pull (a ttRPC peer here: only the transport is stood in for, the policy is enforced
     * for real); while the data hub is not there every pull is refused, and nothing runs.
     */
    @Test
    void aKbsPolicyIsFetchedFromTheDataHubAtTheFirstPull() throws Exception {
        String location = "kbs:///default/security-policy/test";
        String policy = "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\""
                + REGISTRY.host() + "/test/busybox\":[{\"type\":\"insecureAcceptAnything\"}]}}}";
        List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (PodFixture f = pod("agent.image_policy_file=" + location)) {
            RpcException noHub = assertThrows(RpcException.class, () -> f.pod.createContainer(
                    pulled(f, "early", REGISTRY.host() + "/test/busybox:1")));
            assertEquals(Code.PERMISSION_DENIED, noHub.code(), noHub.getMessage());
            assertTrue(noHub.getMessage().contains(location + " is unavailable"), noHub.getMessage());
            assertTrue(!f.host.sandbox().containerIds().contains("early"), "no container was created");

            Path socket = f.dir.resolve("guest-components").resolve(
                    org.cvmagent.attestation.service.GuestComponentsServer.CDH_SOCKET);
            try (TtrpcServer hub = dataHub(socket, uri -> {
                asked.add(uri);
                if (!uri.equals(location)) {
                    throw new RpcException(Code.NOT_FOUND, "no resource " + uri);
                }
                return policy;
            })) {
                f.pod.createContainer(pulled(f, "app", REGISTRY.host() + "/test/busybox:1"));
                f.pod.startContainer("app");
                assertEquals("pulled in the guest\n", new String(f.pod.readAll("app", "", true),
                        StandardCharsets.UTF_8));
                assertEquals(0, f.pod.waitProcess("app", ""));
                RpcException other = assertThrows(RpcException.class, () -> f.pod.createContainer(
                        pulled(f, "other", REGISTRY.host() + "/test/other:1")));
                assertEquals(Code.PERMISSION_DENIED, other.code(), other.getMessage());
                assertEquals(List.of(location), asked, "fetched once, then kept");
            }
        }
    }

    @FunctionalInterface
    private interface Resources {
        String get(String uri) throws RpcException;
    }

    private static TtrpcServer dataHub(Path socket, Resources resources) throws Exception {
        Files.createDirectories(socket.getParent());
        TtrpcServer server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(
                ServiceBinding.of(GetResourceServiceGrpc.getServiceDescriptor())
                        .unary(GetResourceServiceGrpc.getGetResourceMethod(), (ctx, req) ->
                                GetResourceResponse.newBuilder().setResource(ByteString.copyFromUtf8(
                                        resources.get(req.getResourcePath()))).build())
                        .build())), CallGates.all(List.of())), ServerOptions.DEFAULTS);
        server.serve(new Transports().listen(AgentAddress.parse("unix://" + socket)));
        return server;
    }
}
