package org.cvmagent.attestation.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.attestation.cdh.BlockDeviceMount;
import org.cvmagent.attestation.cdh.ResourceFetcher;
import org.cvmagent.attestation.kbs.KbsPeerFixture;
import org.cvmagent.proto.cdh.SecureMountRequest;
import org.cvmagent.proto.cdh.SecureMountResponse;
import org.cvmagent.rpc.CallGates;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.ServerOptions;
import org.cvmagent.ttrpc.TtrpcClient;
import org.cvmagent.ttrpc.TtrpcServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data hub's SecureMount over ttRPC: options checked, the key fetched from the KBS, the agent's volumes called. */
class SecureMountServiceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private KbsPeerFixture kbs;
    private TtrpcServer server;
    private TtrpcClient client;
    private final List<BlockDeviceMount> mounts = new ArrayList<>();
    private final List<byte[]> keys = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        kbs = KbsPeerFixture.start();
        kbs.putResource("default/disk/owner", "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
        kbs.putResource("default/disk/empty", new byte[0]);
        var handlers = new ConfidentialDataHubHandlers(new ResourceFetcher(kbs.client()), new ObjectMapper(),
                Optional.of((mount, key) -> {
                    mounts.add(mount);
                    keys.add(key.map(byte[]::clone).orElse(null));
                }));
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(handlers.bindings()), CallGates.all(List.of())),
                ServerOptions.DEFAULTS);
        AgentAddress address = AgentAddress.parse("unix://" + dir.resolve("cdh.sock"));
        Transports transports = new Transports();
        server.serve(transports.listen(address));
        client = new TtrpcClient(transports.dial(address, TIMEOUT));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.shutdown(Duration.ofSeconds(2));
        kbs.close();
    }

    private void mount(Map<String, String> options) throws Exception {
        client.call("api.SecureMountService", "SecureMount", SecureMountRequest.newBuilder()
                .setVolumeType("block-device").putAllOptions(options).setMountPoint("/run/kata-containers/v")
                .build(), SecureMountResponse.parser(), TIMEOUT, Map.of());
    }

    @Test
    void aKbsKeyIsFetchedByTheHubAndHandedToTheVolumes() throws Exception {
        mount(Map.of("deviceId", "254:16", "encryptionType", "luks2", "key", "kbs:///default/disk/owner",
                "sourceType", "empty", "dataIntegrity", "true", "targetType", "fileSystem", "filesystemType", "ext4"));
        assertEquals(1, mounts.size());
        assertEquals(Optional.of("254:16"), mounts.get(0).deviceId());
        assertEquals(BlockDeviceMount.Source.EMPTY, mounts.get(0).source());
        assertArrayEquals("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8), keys.get(0));
        // the older generation's names
        mount(Map.of("deviceId", "254:16", "encryptType", "luks", "dataIntegrity", "false"));
        assertTrue(mounts.get(1).ephemeral());
        assertEquals(null, keys.get(1));
    }

    @Test
    void badRequestsAreRefusedBeforeAnythingIsTouched() {
        for (Map<String, String> bad : List.of(
                Map.of("deviceId", "254:16", "encryptionType", "luks2", "key", "file:///etc/key"),
                Map.of("devicePath", "/dev/../etc/passwd", "encryptionType", "luks2"),
                Map.of("deviceId", "vdb", "encryptionType", "luks2"),
                Map.of("deviceId", "254:16", "encryptionType", "zfs"),
                Map.of("deviceId", "254:16", "encryptionType", "luks2", "key", "kbs://evil.example/a/b/c"),
                Map.of("deviceId", "254:16", "encryptionType", "luks2", "surprise", "1"))) {
            RpcException e = assertThrows(RpcException.class, () -> mount(bad), bad.toString());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), e.getMessage());
        }
        RpcException empty = assertThrows(RpcException.class, () -> mount(Map.of("deviceId", "254:16",
                "encryptionType", "luks2", "key", "kbs:///default/disk/empty")));
        assertEquals(Status.Code.FAILED_PRECONDITION, empty.code(), empty.getMessage());
        assertTrue(mounts.isEmpty(), "nothing reached the volumes");
    }
}
