package org.cvmagent.agent.service;

import com.google.protobuf.Empty;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cvmagent.agent.files.SharedFiles;
import org.cvmagent.agent.guest.GuestManagement;
import org.cvmagent.agent.guest.GuestMetrics;
import org.cvmagent.agent.guest.VolumeResizer;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.SpawnSpec;
import org.cvmagent.agent.sandbox.Sandbox;
import org.cvmagent.agent.storage.BlockDevices;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.GetDiagnosticDataResponse;
import org.cvmagent.proto.agent.Metrics;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;

/**
 * The guest-level AgentService methods served next to the sandbox's: network, file sharing,
 * hotplug, entropy, clock, volumes, swap, metrics and diagnostics.
 */
public final class GuestHandlers {
    private static final Duration MKSWAP_TIMEOUT = Duration.ofMinutes(1);

    private final NetworkHandlers network;
    private final SharedFiles sharedFiles;
    private final GuestManagement guest;
    private final GuestMetrics metrics;
    private final VolumeResizer resizer;
    private final BlockDevices blockDevices;
    private final CommandRunner commands;
    private final Sandbox sandbox;

    public GuestHandlers(NetworkHandlers network, SharedFiles sharedFiles, GuestManagement guest, GuestMetrics metrics,
                         VolumeResizer resizer, BlockDevices blockDevices, CommandRunner commands, Sandbox sandbox) {
        this.network = network;
        this.sharedFiles = sharedFiles;
        this.guest = guest;
        this.metrics = metrics;
        this.resizer = resizer;
        this.blockDevices = blockDevices;
        this.commands = commands;
        this.sandbox = sandbox;
    }

    public ServiceBinding.Builder addTo(ServiceBinding.Builder builder) {
        Empty empty = Empty.getDefaultInstance();
        network.addTo(builder);
        return builder
                .unary(AgentServiceGrpc.getCopyFileMethod(), (ctx, req) -> {
                    try {
                        sharedFiles.copy(req);
                    } catch (IOException e) {
                        throw new RpcException(Status.Code.INTERNAL, "CopyFile " + req.getPath() + ": "
                                + e.getMessage(), e);
                    } catch (IllegalArgumentException e) {
                        throw RpcException.invalidArgument("CopyFile " + req.getPath() + ": " + e.getMessage());
                    }
                    return empty;
                })
                .unary(AgentServiceGrpc.getOnlineCPUMemMethod(), (ctx, req) -> {
                    guest.onlineCpuMem(req);
                    return empty;
                })
                .unary(AgentServiceGrpc.getMemHotplugByProbeMethod(), (ctx, req) -> {
                    guest.memHotplugByProbe(req.getMemHotplugProbeAddrList());
                    return empty;
                })
                .unary(AgentServiceGrpc.getReseedRandomDevMethod(), (ctx, req) -> {
                    guest.reseedRandom(req.getData().toByteArray());
                    return empty;
                })
                .unary(AgentServiceGrpc.getSetGuestDateTimeMethod(), (ctx, req) -> {
                    guest.setDateTime(req.getSec(), req.getUsec());
                    return empty;
                })
                .unary(AgentServiceGrpc.getGetVolumeStatsMethod(), (ctx, req) ->
                        guest.volumeStats(req.getVolumeGuestPath()))
                .unary(AgentServiceGrpc.getResizeVolumeMethod(), (ctx, req) -> {
                    resizer.resize(req.getVolumeGuestPath(), req.getSize());
                    return empty;
                })
                .unary(AgentServiceGrpc.getAddSwapPathMethod(), (ctx, req) -> {
                    guest.swapOn(req.getPath());
                    return empty;
                })
                .unary(AgentServiceGrpc.getAddSwapMethod(), (ctx, req) -> {
                    addSwap(req.getPCIPathList());
                    return empty;
                })
                .unary(AgentServiceGrpc.getGetMetricsMethod(), (ctx, req) -> {
                    try {
                        return Metrics.newBuilder().setMetrics(metrics.scrape()).build();
                    } catch (IOException e) {
                        throw new RpcException(Status.Code.INTERNAL, "GetMetrics: " + e.getMessage(), e);
                    }
                })
                .unary(AgentServiceGrpc.getGetDiagnosticDataMethod(), (ctx, req) -> {
                    if (!req.getLogType().equals("termination_log")) {
                        throw RpcException.invalidArgument("unsupported diagnostic log_type: " + req.getLogType()
                                + " (termination_log is)");
                    }
                    return GetDiagnosticDataResponse.newBuilder()
                            .setData(sandbox.terminationLog(req.getContainerId())).build();
                })
                .unary(AgentServiceGrpc.getMemAgentMemcgSetMethod(), (ctx, req) -> {
                    throw noMemAgent("MemAgentMemcgSet");
                })
                .unary(AgentServiceGrpc.getMemAgentCompactSetMethod(), (ctx, req) -> {
                    throw noMemAgent("MemAgentCompactSet");
                });
    }

    /** AddSwap: the virtio-blk disk at the PCI path becomes swap space (mkswap, swapon), as kata does it. */
    private void addSwap(List<Integer> pciPath) throws RpcException {
        if (pciPath.isEmpty()) {
            throw RpcException.invalidArgument("AddSwap: PCIPath is empty");
        }
        StringBuilder path = new StringBuilder();
        for (int slot : pciPath) {
            if (slot < 0 || slot > 31) {
                throw RpcException.invalidArgument("AddSwap: PCI slot " + slot + " is not 0-31");
            }
            path.append(path.isEmpty() ? "" : "/").append(String.format("%02x", slot));
        }
        try {
            Path device = blockDevices.virtioBlkPci(path.toString());
            CommandResult r = commands.run(List.of("mkswap", device.toString()),
                    List.of("PATH=" + SpawnSpec.DEFAULT_PATH), MKSWAP_TIMEOUT);
            if (!r.succeeded()) {
                throw new RpcException(Status.Code.INTERNAL, "AddSwap: mkswap " + device + ": " + r.stderrText().strip());
            }
            guest.swapOn(device.toString());
        } catch (IOException e) {
            throw RpcException.notFound("AddSwap: no disk at PCI path " + path + ": " + e.getMessage());
        }
    }

    /**
     * kata's mem-agent (memcg and compaction tuning) is a separate daemon this guest does not run:
     * the request is refused with that reason rather than accepted and ignored.
     */
    private static RpcException noMemAgent(String method) {
        return new RpcException(Status.Code.FAILED_PRECONDITION, method + ": this guest runs no mem-agent "
                + "(kata's memory-management daemon); its configuration cannot be applied");
    }
}
