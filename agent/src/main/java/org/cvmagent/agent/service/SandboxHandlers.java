package org.cvmagent.agent.service;

import com.google.protobuf.Empty;
import org.cvmagent.agent.sandbox.Sandbox;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.OOMEvent;
import org.cvmagent.proto.agent.ReadStreamRequest;
import org.cvmagent.proto.agent.ReadStreamResponse;
import org.cvmagent.proto.agent.WaitProcessResponse;
import org.cvmagent.proto.agent.WriteStreamResponse;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;

import java.nio.file.Path;
import java.util.List;

/**
 * The sandbox, container and process methods of kata's AgentService, translating requests into
 * {@link Sandbox} calls. Nothing here decides anything: validation and kata's semantics live in
 * the sandbox package.
 */
public final class SandboxHandlers {

    /** The largest read kata's shim asks for is far below this; a bound keeps one reply in a frame. */
    static final int MAX_READ = 1024 * 1024;
    /** The methods bound with {@code redactable} below, for a binding that must know them up front. */
    public static final java.util.Set<String> REDACTABLE_METHODS = java.util.Set.of("ReadStdout", "ReadStderr");

    private final Sandbox sandbox;
    private final Path mountinfo;
    private final List<String> storageDrivers;
    private final java.util.Optional<GuestHandlers> guest;
    private final Runnable afterDestroy;

    /** @param storageDrivers the storage drivers the sandbox handles, for GetGuestDetails */
    public SandboxHandlers(Sandbox sandbox, Path mountinfo, List<String> storageDrivers) {
        this(sandbox, mountinfo, storageDrivers, java.util.Optional.empty());
    }

    /** @param guest the guest network and file methods, served with the sandbox's */
    public SandboxHandlers(Sandbox sandbox, Path mountinfo, List<String> storageDrivers,
                           java.util.Optional<GuestHandlers> guest) {
        this(sandbox, mountinfo, storageDrivers, guest, () -> { });
    }

    /**
     * @param afterDestroy run when DestroySandbox succeeded, before its answer is sent: kata's
     *                     agent then stops (and as the guest's init powers the VM off); the
     *                     server's draining shutdown still delivers the answer
     */
    public SandboxHandlers(Sandbox sandbox, Path mountinfo, List<String> storageDrivers,
                           java.util.Optional<GuestHandlers> guest, Runnable afterDestroy) {
        this.sandbox = sandbox;
        this.mountinfo = mountinfo;
        this.storageDrivers = List.copyOf(storageDrivers);
        this.guest = guest;
        this.afterDestroy = afterDestroy;
    }

    public List<String> storageDrivers() {
        return storageDrivers;
    }

    /** Adds the handlers to {@code builder}, which is for kata's AgentService. */
    public ServiceBinding.Builder addTo(ServiceBinding.Builder builder) {
        guest.ifPresent(g -> g.addTo(builder));
        Empty empty = Empty.getDefaultInstance();
        return builder
                .unary(AgentServiceGrpc.getCreateSandboxMethod(), (ctx, req) -> {
                    sandbox.create(req);
                    return empty;
                })
                .unary(AgentServiceGrpc.getDestroySandboxMethod(), (ctx, req) -> {
                    sandbox.destroy();
                    afterDestroy.run();
                    return empty;
                })
                .unary(AgentServiceGrpc.getCreateContainerMethod(), (ctx, req) -> {
                    sandbox.createContainer(req);
                    return empty;
                })
                .unary(AgentServiceGrpc.getStartContainerMethod(), (ctx, req) -> {
                    sandbox.startContainer(req.getContainerId());
                    return empty;
                })
                .unary(AgentServiceGrpc.getRemoveContainerMethod(), (ctx, req) -> {
                    sandbox.removeContainer(req.getContainerId(), req.getTimeout());
                    return empty;
                })
                .unary(AgentServiceGrpc.getPauseContainerMethod(), (ctx, req) -> {
                    sandbox.pauseContainer(req.getContainerId());
                    return empty;
                })
                .unary(AgentServiceGrpc.getResumeContainerMethod(), (ctx, req) -> {
                    sandbox.resumeContainer(req.getContainerId());
                    return empty;
                })
                .unary(AgentServiceGrpc.getUpdateContainerMethod(), (ctx, req) -> {
                    sandbox.updateContainer(req.getContainerId(), req.getResources());
                    return empty;
                })
                .unary(AgentServiceGrpc.getStatsContainerMethod(), (ctx, req) ->
                        sandbox.stats(req.getContainerId()))
                .unary(AgentServiceGrpc.getGetOOMEventMethod(), (ctx, req) ->
                        OOMEvent.newBuilder().setContainerId(sandbox.nextOomEvent()).build())
                .unary(AgentServiceGrpc.getUpdateEphemeralMountsMethod(), (ctx, req) -> {
                    sandbox.updateEphemeralMounts(req.getStoragesList());
                    return empty;
                })
                .unary(AgentServiceGrpc.getRemoveStaleVirtiofsShareMountsMethod(), (ctx, req) -> {
                    sandbox.touchSharedMounts(mountinfo);
                    return empty;
                })
                .unary(AgentServiceGrpc.getExecProcessMethod(), (ctx, req) -> {
                    if (!req.hasProcess()) {
                        throw RpcException.invalidArgument("process: the request carries no process");
                    }
                    sandbox.execProcess(req.getContainerId(), req.getExecId(), req.getProcess());
                    return empty;
                })
                .unary(AgentServiceGrpc.getSignalProcessMethod(), (ctx, req) -> {
                    sandbox.signalProcess(req.getContainerId(), req.getExecId(), req.getSignal());
                    return empty;
                })
                .unary(AgentServiceGrpc.getWaitProcessMethod(), (ctx, req) -> WaitProcessResponse.newBuilder()
                        .setStatus(sandbox.waitProcess(req.getContainerId(), req.getExecId())).build())
                .unary(AgentServiceGrpc.getWriteStdinMethod(), (ctx, req) -> WriteStreamResponse.newBuilder()
                        .setLen(sandbox.writeStdin(req.getContainerId(), req.getExecId(), req.getData().toByteArray()))
                        .build())
                // redactable: a policy that denies ReadStreamRequest gets empty answers, as in kata
                .redactable(AgentServiceGrpc.getReadStdoutMethod(), (ctx, req) -> read(ctx, req, true))
                .redactable(AgentServiceGrpc.getReadStderrMethod(), (ctx, req) -> read(ctx, req, false))
                .unary(AgentServiceGrpc.getCloseStdinMethod(), (ctx, req) -> {
                    sandbox.closeStdin(req.getContainerId(), req.getExecId());
                    return empty;
                })
                .unary(AgentServiceGrpc.getTtyWinResizeMethod(), (ctx, req) -> {
                    sandbox.resizeTerminal(req.getContainerId(), req.getExecId(), req.getRow(), req.getColumn());
                    return empty;
                });
    }

    private ReadStreamResponse read(CallContext ctx, ReadStreamRequest req, boolean stdout)
            throws RpcException, InterruptedException {
        if (ctx.redacted()) {
            return ReadStreamResponse.newBuilder()
                    .setData(sandbox.readRedacted(req.getContainerId(), req.getExecId(), stdout)).build();
        }
        int max = (int) Math.min(Integer.toUnsignedLong(req.getLen()), MAX_READ);
        return ReadStreamResponse.newBuilder()
                .setData(sandbox.read(req.getContainerId(), req.getExecId(), max, stdout)).build();
    }
}
