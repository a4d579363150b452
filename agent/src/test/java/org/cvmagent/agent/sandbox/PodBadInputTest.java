package org.cvmagent.agent.sandbox;

import io.grpc.Status.Code;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the host may send wrong: unknown and duplicate ids, malformed specs, and ids, root paths and
 * storage mount points that would leave the sandbox root. Each gets a clear error; nothing is
 * mounted or written outside the sandbox root, and the agent keeps serving.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PodBadInputTest {

    @TempDir
    Path dir;

    private PodFixture fixture;
    private PodClient pod;
    private Set<String> mountsBefore;

    @BeforeEach
    void start() throws Exception {
        fixture = new PodFixture(dir);
        pod = fixture.pod;
        pod.createSandbox(fixture.sandboxRequest("bad-input-pod"));
        fixture.run("c1", "sleep", "100000");
        mountsBefore = mountPoints();
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    @Test
    void unknownIdsAreNotFound() {
        expect(Code.NOT_FOUND, "container nope", () -> pod.startContainer("nope"));
        expect(Code.NOT_FOUND, "container nope", () -> pod.waitProcess("nope", ""));
        expect(Code.NOT_FOUND, "container nope", () -> pod.signal("nope", "", 9));
        expect(Code.NOT_FOUND, "exec id missing", () -> pod.read("c1", "missing", 10, true));
        expect(Code.NOT_FOUND, "exec id missing", () -> pod.writeStdin("c1", "missing", new byte[] {1}));
        expect(Code.NOT_FOUND, "exec id missing", () -> pod.waitProcess("c1", "missing"));
        expect(Code.NOT_FOUND, "container nope", () -> pod.removeContainer("nope", 0));
    }

    @Test
    void duplicatesAlreadyExist() throws Exception {
        expect(Code.ALREADY_EXISTS, "c1 already exists",
                () -> pod.createContainer(fixture.container("c1", PodFixture.process(false, "true"))));
        pod.exec("c1", "e1", PodFixture.process(false, "sleep", "100000"));
        expect(Code.ALREADY_EXISTS, "e1 already exists",
                () -> pod.exec("c1", "e1", PodFixture.process(false, "true")));
        expect(Code.ALREADY_EXISTS, "already exists", () -> pod.createSandbox(fixture.sandboxRequest("again")));
    }

    @Test
    void malformedSpecsNameTheField() throws Exception {
        Spec good = fixture.spec("c2", fixture.rootfs("c2"), PodFixture.process(false, "true"),
                LinuxResources.getDefaultInstance());
        Spec relativeMount = good.toBuilder().addMounts(Mount.newBuilder().setDestination("tmp").setType("tmpfs")
                .setSource("tmpfs")).build();
        expect(Code.INVALID_ARGUMENT, "OCI.mounts[4].destination",
                () -> pod.createContainer(request("c2", relativeMount)));
        expect(Code.INVALID_ARGUMENT, "OCI.process",
                () -> pod.createContainer(request("c2", good.toBuilder().clearProcess().build())));
        expect(Code.INVALID_ARGUMENT, "OCI",
                () -> pod.createContainer(CreateContainerRequest.newBuilder().setContainerId("c2").build()));
        expect(Code.INVALID_ARGUMENT, "process",
                () -> pod.exec("c1", "e2", org.cvmagent.proto.agent.Process.newBuilder().setCwd("relative")
                        .addArgs("true").build()));
        expect(Code.INVALID_ARGUMENT, "signal", () -> pod.signal("c1", "", 1000));
        // Nothing was left behind by the failed creates, and the id is still free.
        assertFalse(Files.exists(fixture.stateDir.resolve("bundles/c2")));
        pod.createContainer(request("c2", good));
    }

    @Test
    void idsThatAreNotSimpleNamesAreRejected() {
        String rootfs = fixture.sandboxRoot + "/shared/containers/c1/rootfs";
        for (String id : List.of("../escape", "a/b", "..", ".", "", "x", "-dash", "/abs")) {
            expect(Code.INVALID_ARGUMENT, "container_id", () -> pod.createContainer(request(id,
                    fixture.spec(id, rootfs, PodFixture.process(false, "true"), LinuxResources.getDefaultInstance()))));
        }
        expect(Code.INVALID_ARGUMENT, "exec_id", () -> pod.exec("c1", "../e", PodFixture.process(false, "true")));
        assertFalse(Files.exists(dir.resolve("escape")));
        assertFalse(Files.exists(fixture.stateDir.resolve("escape")));
    }

    @Test
    void rootPathsOutsideTheSandboxRootAreRejected() throws Exception {
        Path outside = dir.resolve("outside-rootfs");
        Files.createDirectories(outside);
        for (String root : List.of(outside.toString(), fixture.sandboxRoot + "/../outside-rootfs", "relative/rootfs")) {
            Spec spec = fixture.spec("c3", root, PodFixture.process(false, "true"), LinuxResources.getDefaultInstance());
            expect(Code.INVALID_ARGUMENT, "OCI.root.path", () -> pod.createContainer(request("c3", spec)));
        }
        // A link in the share pointing out of the sandbox is followed inside the sandbox root only.
        fixture.rootfs("c3");
        Files.createSymbolicLink(fixture.hostShare.resolve("c3-link"), outside);
        Spec linked = fixture.spec("c3", fixture.sandboxRoot + "/shared/containers/c3-link", PodFixture.process(false,
                "true"), LinuxResources.getDefaultInstance());
        expect(Code.INVALID_ARGUMENT, "OCI.root.path", () -> pod.createContainer(request("c3", linked)));
        assertEquals(mountsBefore, mountPoints());
    }

    @Test
    void storageMountPointsOutsideTheSandboxRootAreRejected() throws Exception {
        Path outside = dir.resolve("outside-mounts");
        Files.createDirectories(outside);
        Files.createSymbolicLink(fixture.sandboxRoot.resolve("evil-link"), outside);
        List<String> badMountPoints = List.of(outside.resolve("m").toString(),
                fixture.sandboxRoot + "/../outside-mounts/m", "relative/m");
        for (String mountPoint : badMountPoints) {
            Storage storage = Storage.newBuilder().setDriver("ephemeral").setSource("tmpfs").setFstype("tmpfs")
                    .setMountPoint(mountPoint).build();
            CreateContainerRequest request = fixture.container("c4", PodFixture.process(false, "true")).toBuilder()
                    .addStorages(storage).build();
            expect(Code.INVALID_ARGUMENT, "mount_point", () -> pod.createContainer(request));
        }
        // Through a symbolic link: confined to the sandbox root (the link is resolved inside it).
        Storage viaLink = Storage.newBuilder().setDriver("ephemeral").setSource("tmpfs").setFstype("tmpfs")
                .setMountPoint(fixture.sandboxRoot + "/evil-link/m").build();
        CreateContainerRequest linked = fixture.container("c4", PodFixture.process(false, "true")).toBuilder()
                .addStorages(viaLink).build();
        try {
            pod.createContainer(linked);
            pod.removeContainer("c4", 0);
        } catch (RpcException e) {
            assertEquals(Code.INVALID_ARGUMENT, e.code(), e.getMessage());
        }
        try (var files = Files.list(outside)) {
            assertEquals(0, files.count(), "something was created outside the sandbox root");
        }
        assertEquals(mountsBefore, mountPoints());
    }

    @Test
    void unknownStorageDriverIsRejected() throws Exception {
        Storage storage = Storage.newBuilder().setDriver("no-such-driver")
                .setMountPoint(fixture.sandboxRoot + "/x").build();
        CreateContainerRequest request = fixture.container("c5", PodFixture.process(false, "true")).toBuilder()
                .addStorages(storage).build();
        expect(Code.INVALID_ARGUMENT, "no-such-driver", () -> pod.createContainer(request));
        assertEquals(mountsBefore, mountPoints());
    }

    @Test
    void devicesAreRefusedRatherThanIgnored() throws Exception {
        CreateContainerRequest request = fixture.container("c6", PodFixture.process(false, "true")).toBuilder()
                .addDevices(org.cvmagent.proto.agent.Device.newBuilder().setId("0000:00:02.0").setType("vfio-pci")
                        .setContainerPath("/dev/vfio/1"))
                .build();
        expect(Code.UNIMPLEMENTED, "devices", () -> pod.createContainer(request));
        assertFalse(fixture.host.sandbox().find("c6").isPresent());
    }

    private CreateContainerRequest request(String id, Spec spec) {
        return CreateContainerRequest.newBuilder().setContainerId(id).setOCI(spec).build();
    }

    private static void expect(Code code, String text, Executable call) {
        RpcException e = assertThrows(RpcException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(text), "'" + e.getMessage() + "' does not mention " + text);
    }

    private static Set<String> mountPoints() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(line -> line.split(" ")[4]).collect(Collectors.toSet());
    }
}
