package org.cvmagent.proto;

import static org.cvmagent.proto.DescriptorTables.assertMethods;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.ServiceDescriptor;
import org.cvmagent.proto.agent.AgentProto;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.HealthProto;
import org.junit.jupiter.api.Test;

/**
 * The kata agent API surface, written out from kata-containers main
 * (src/libs/protocols/protos/agent.proto at 7c6ba40c54ea, 42 methods; health.proto, 2 methods).
 * A missing, extra, renamed, reordered or retyped method fails this test.
 */
class AgentServiceContractTest {

    private static final String[] AGENT_SERVICE = {
        "CreateContainer(grpc.CreateContainerRequest) -> google.protobuf.Empty",
        "StartContainer(grpc.StartContainerRequest) -> google.protobuf.Empty",
        "RemoveContainer(grpc.RemoveContainerRequest) -> google.protobuf.Empty",
        "ExecProcess(grpc.ExecProcessRequest) -> google.protobuf.Empty",
        "SignalProcess(grpc.SignalProcessRequest) -> google.protobuf.Empty",
        "WaitProcess(grpc.WaitProcessRequest) -> grpc.WaitProcessResponse",
        "UpdateContainer(grpc.UpdateContainerRequest) -> google.protobuf.Empty",
        "UpdateEphemeralMounts(grpc.UpdateEphemeralMountsRequest) -> google.protobuf.Empty",
        "StatsContainer(grpc.StatsContainerRequest) -> grpc.StatsContainerResponse",
        "PauseContainer(grpc.PauseContainerRequest) -> google.protobuf.Empty",
        "ResumeContainer(grpc.ResumeContainerRequest) -> google.protobuf.Empty",
        "RemoveStaleVirtiofsShareMounts(grpc.RemoveStaleVirtiofsShareMountsRequest) -> google.protobuf.Empty",
        "GetDiagnosticData(grpc.GetDiagnosticDataRequest) -> grpc.GetDiagnosticDataResponse",
        "WriteStdin(grpc.WriteStreamRequest) -> grpc.WriteStreamResponse",
        "ReadStdout(grpc.ReadStreamRequest) -> grpc.ReadStreamResponse",
        "ReadStderr(grpc.ReadStreamRequest) -> grpc.ReadStreamResponse",
        "CloseStdin(grpc.CloseStdinRequest) -> google.protobuf.Empty",
        "TtyWinResize(grpc.TtyWinResizeRequest) -> google.protobuf.Empty",
        "UpdateInterface(grpc.UpdateInterfaceRequest) -> types.Interface",
        "UpdateRoutes(grpc.UpdateRoutesRequest) -> grpc.Routes",
        "ListInterfaces(grpc.ListInterfacesRequest) -> grpc.Interfaces",
        "ListRoutes(grpc.ListRoutesRequest) -> grpc.Routes",
        "AddARPNeighbors(grpc.AddARPNeighborsRequest) -> google.protobuf.Empty",
        "GetIPTables(grpc.GetIPTablesRequest) -> grpc.GetIPTablesResponse",
        "SetIPTables(grpc.SetIPTablesRequest) -> grpc.SetIPTablesResponse",
        "GetMetrics(grpc.GetMetricsRequest) -> grpc.Metrics",
        "MemAgentMemcgSet(grpc.MemAgentMemcgConfig) -> google.protobuf.Empty",
        "MemAgentCompactSet(grpc.MemAgentCompactConfig) -> google.protobuf.Empty",
        "CreateSandbox(grpc.CreateSandboxRequest) -> google.protobuf.Empty",
        "DestroySandbox(grpc.DestroySandboxRequest) -> google.protobuf.Empty",
        "OnlineCPUMem(grpc.OnlineCPUMemRequest) -> google.protobuf.Empty",
        "ReseedRandomDev(grpc.ReseedRandomDevRequest) -> google.protobuf.Empty",
        "GetGuestDetails(grpc.GuestDetailsRequest) -> grpc.GuestDetailsResponse",
        "MemHotplugByProbe(grpc.MemHotplugByProbeRequest) -> google.protobuf.Empty",
        "SetGuestDateTime(grpc.SetGuestDateTimeRequest) -> google.protobuf.Empty",
        "CopyFile(grpc.CopyFileRequest) -> google.protobuf.Empty",
        "GetOOMEvent(grpc.GetOOMEventRequest) -> grpc.OOMEvent",
        "AddSwap(grpc.AddSwapRequest) -> google.protobuf.Empty",
        "AddSwapPath(grpc.AddSwapPathRequest) -> google.protobuf.Empty",
        "GetVolumeStats(grpc.VolumeStatsRequest) -> grpc.VolumeStatsResponse",
        "ResizeVolume(grpc.ResizeVolumeRequest) -> google.protobuf.Empty",
        "SetPolicy(grpc.SetPolicyRequest) -> google.protobuf.Empty",
    };

    @Test
    void agentServiceHasExactlyKataMethods() {
        ServiceDescriptor service = AgentProto.getDescriptor().findServiceByName("AgentService");
        assertEquals("grpc.AgentService", service.getFullName());
        assertEquals(42, AGENT_SERVICE.length);
        assertMethods(service, AGENT_SERVICE);
    }

    @Test
    void healthServiceHasCheckAndVersion() {
        ServiceDescriptor service = HealthProto.getDescriptor().findServiceByName("Health");
        assertEquals("grpc.Health", service.getFullName());
        assertMethods(service,
                "Check(grpc.CheckRequest) -> grpc.HealthCheckResponse",
                "Version(grpc.CheckRequest) -> grpc.VersionCheckResponse");
    }

    @Test
    void grpcStubsUseKataServiceNames() {
        // the names that appear on the wire as ttRPC `service` / gRPC path
        assertEquals("grpc.AgentService", AgentServiceGrpc.SERVICE_NAME);
        assertEquals("grpc.Health", HealthGrpc.SERVICE_NAME);
        assertEquals("grpc.AgentService/CreateContainer", AgentServiceGrpc.getCreateContainerMethod().getFullMethodName());
    }
}
