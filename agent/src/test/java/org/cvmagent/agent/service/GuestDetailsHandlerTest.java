package org.cvmagent.agent.service;

import org.cvmagent.proto.agent.GuestDetailsRequest;
import org.cvmagent.proto.agent.GuestDetailsResponse;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.RpcException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestDetailsHandlerTest {

    @TempDir
    Path sysfs;

    private static final CallContext CONTEXT = new CallContext("ttrpc", "test", "grpc.AgentService/GetGuestDetails",
            Map.of(), CallContext.NO_DEADLINE);

    private GuestDetailsHandler handler() {
        return new GuestDetailsHandler(new GuestMemoryInfo(sysfs), new AgentVersion("1.2.3", "0.0.1"), true,
                List.of("blk"), List.of("local", "ephemeral"));
    }

    @Test
    void readsBlockSizeAndProbeFromSysfs() throws Exception {
        Files.writeString(sysfs.resolve("block_size_bytes"), "8000000\n");
        Files.writeString(sysfs.resolve("probe"), "");
        GuestDetailsResponse response = handler().handle(CONTEXT, GuestDetailsRequest.newBuilder()
                .setMemBlockSize(true).setMemHotplugProbe(true).build());
        assertEquals(0x8000000L, response.getMemBlockSizeBytes());
        assertTrue(response.getSupportMemHotplugProbe());
        assertEquals("1.2.3", response.getAgentDetails().getVersion());
        assertTrue(response.getAgentDetails().getInitDaemon());
        assertEquals(List.of("blk"), response.getAgentDetails().getDeviceHandlersList());
        assertEquals(List.of("local", "ephemeral"), response.getAgentDetails().getStorageHandlersList());
    }

    @Test
    void onlyAskedFactsAreReadAndMissingHotplugIsZero() throws Exception {
        GuestDetailsResponse response = handler().handle(CONTEXT, GuestDetailsRequest.newBuilder()
                .setMemBlockSize(true).setMemHotplugProbe(true).build());
        assertEquals(0, response.getMemBlockSizeBytes());
        assertFalse(response.getSupportMemHotplugProbe());
        Files.writeString(sysfs.resolve("block_size_bytes"), "8000000\n");
        GuestDetailsResponse notAsked = handler().handle(CONTEXT, GuestDetailsRequest.getDefaultInstance());
        assertEquals(0, notAsked.getMemBlockSizeBytes());
    }

    @Test
    void garbageInSysfsIsAnInternalError() throws Exception {
        Files.writeString(sysfs.resolve("block_size_bytes"), "not-hex\n");
        RpcException e = assertThrows(RpcException.class, () -> handler().handle(CONTEXT,
                GuestDetailsRequest.newBuilder().setMemBlockSize(true).build()));
        assertEquals(Status.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("block_size_bytes"));
    }

    @Test
    void realSysfsOfThisMachineParses() throws Exception {
        long size = new GuestMemoryInfo(Path.of("/sys/devices/system/memory")).blockSizeBytes();
        assertTrue(size >= 0);
        if (Files.exists(Path.of("/sys/devices/system/memory/block_size_bytes"))) {
            assertTrue(size > 0 && Long.bitCount(size) == 1, "block size is a power of two: " + size);
        }
    }
}
