package org.cvmagent.agent.service;

import org.cvmagent.proto.agent.AgentDetails;
import org.cvmagent.proto.agent.GuestDetailsRequest;
import org.cvmagent.proto.agent.GuestDetailsResponse;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.RpcException;

import java.util.List;

/**
 * {@code GetGuestDetails}: what the runtime needs to know about the guest before hotplugging
 * memory, and what this agent can do (its version, device and storage handlers).
 */
public final class GuestDetailsHandler {

    private final GuestMemoryInfo memory;
    private final AgentVersion version;
    private final boolean initDaemon;
    private final List<String> deviceHandlers;
    private final List<String> storageHandlers;

    public GuestDetailsHandler(GuestMemoryInfo memory, AgentVersion version, boolean initDaemon,
                               List<String> deviceHandlers, List<String> storageHandlers) {
        this.memory = memory;
        this.version = version;
        this.initDaemon = initDaemon;
        this.deviceHandlers = List.copyOf(deviceHandlers);
        this.storageHandlers = List.copyOf(storageHandlers);
    }

    public GuestDetailsResponse handle(CallContext context, GuestDetailsRequest request) throws RpcException {
        GuestDetailsResponse.Builder response = GuestDetailsResponse.newBuilder();
        if (request.getMemBlockSize()) {
            response.setMemBlockSizeBytes(memory.blockSizeBytes());
        }
        if (request.getMemHotplugProbe()) {
            response.setSupportMemHotplugProbe(memory.supportsHotplugProbe());
        }
        response.setAgentDetails(AgentDetails.newBuilder()
                .setVersion(version.agentVersion())
                .setInitDaemon(initDaemon)
                .addAllDeviceHandlers(deviceHandlers)
                .addAllStorageHandlers(storageHandlers)
                // no container runtime yet, so no seccomp filters are applied
                .setSupportsSeccomp(false));
        return response.build();
    }
}
