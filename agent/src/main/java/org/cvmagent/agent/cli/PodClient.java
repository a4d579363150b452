package org.cvmagent.agent.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.CloseStdinRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.DestroySandboxRequest;
import org.cvmagent.proto.agent.ExecProcessRequest;
import org.cvmagent.proto.agent.GetOOMEventRequest;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.OOMEvent;
import org.cvmagent.proto.agent.PauseContainerRequest;
import org.cvmagent.proto.agent.ReadStreamRequest;
import org.cvmagent.proto.agent.ReadStreamResponse;
import org.cvmagent.proto.agent.RemoveContainerRequest;
import org.cvmagent.proto.agent.ResumeContainerRequest;
import org.cvmagent.proto.agent.SetPolicyRequest;
import org.cvmagent.proto.agent.SignalProcessRequest;
import org.cvmagent.proto.agent.StartContainerRequest;
import org.cvmagent.proto.agent.StatsContainerRequest;
import org.cvmagent.proto.agent.StatsContainerResponse;
import org.cvmagent.proto.agent.TtyWinResizeRequest;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.agent.UpdateContainerRequest;
import org.cvmagent.proto.agent.UpdateEphemeralMountsRequest;
import org.cvmagent.proto.agent.WaitProcessRequest;
import org.cvmagent.proto.agent.WaitProcessResponse;
import org.cvmagent.proto.agent.WriteStreamRequest;
import org.cvmagent.rpc.RpcException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

/**
 * Typed calls for a pod's lifecycle, the ones a kata shim makes, over any {@link AgentClient}.
 * Used by {@code cvm-agent-ctl}'s container commands, the tests and the benchmark.
 */
public final class PodClient {

    /** What the kata shim asks for per ReadStdout. */
    public static final int READ_CHUNK = 64 * 1024;

    private final AgentClient client;
    private final Duration timeout;

    /** @param timeout the deadline of each call; waits (WaitProcess, GetOOMEvent) get the same */
    public PodClient(AgentClient client, Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    public void createSandbox(CreateSandboxRequest request) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getCreateSandboxMethod(), request);
    }

    public void destroySandbox() throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getDestroySandboxMethod(), DestroySandboxRequest.getDefaultInstance());
    }

    public void createContainer(CreateContainerRequest request) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getCreateContainerMethod(), request);
    }

    public void startContainer(String id) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getStartContainerMethod(), StartContainerRequest.newBuilder().setContainerId(id).build());
    }

    public void removeContainer(String id, int timeoutSeconds) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getRemoveContainerMethod(), RemoveContainerRequest.newBuilder().setContainerId(id)
                .setTimeout(timeoutSeconds).build());
    }

    public void pause(String id) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getPauseContainerMethod(), PauseContainerRequest.newBuilder().setContainerId(id).build());
    }

    public void resume(String id) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getResumeContainerMethod(), ResumeContainerRequest.newBuilder().setContainerId(id).build());
    }

    public void update(String id, LinuxResources resources) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getUpdateContainerMethod(), UpdateContainerRequest.newBuilder().setContainerId(id)
                .setResources(resources).build());
    }

    public void updateEphemeralMounts(List<Storage> storages) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getUpdateEphemeralMountsMethod(), UpdateEphemeralMountsRequest.newBuilder()
                .addAllStorages(storages).build());
    }

    public void setPolicy(String policy) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getSetPolicyMethod(), SetPolicyRequest.newBuilder().setPolicy(policy).build());
    }

    public StatsContainerResponse stats(String id) throws RpcException, IOException, InterruptedException {
        return (StatsContainerResponse) call(AgentServiceGrpc.getStatsContainerMethod(),
                StatsContainerRequest.newBuilder().setContainerId(id).build());
    }

    public String nextOomEvent() throws RpcException, IOException, InterruptedException {
        return ((OOMEvent) call(AgentServiceGrpc.getGetOOMEventMethod(), GetOOMEventRequest.getDefaultInstance()))
                .getContainerId();
    }

    public void exec(String id, String execId, org.cvmagent.proto.agent.Process process)
            throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getExecProcessMethod(), ExecProcessRequest.newBuilder().setContainerId(id)
                .setExecId(execId).setProcess(process).build());
    }

    public void signal(String id, String execId, int signal) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getSignalProcessMethod(), SignalProcessRequest.newBuilder().setContainerId(id)
                .setExecId(execId).setSignal(signal).build());
    }

    public int waitProcess(String id, String execId) throws RpcException, IOException, InterruptedException {
        return ((WaitProcessResponse) call(AgentServiceGrpc.getWaitProcessMethod(), WaitProcessRequest.newBuilder()
                .setContainerId(id).setExecId(execId).build())).getStatus();
    }

    public void writeStdin(String id, String execId, byte[] data) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getWriteStdinMethod(), WriteStreamRequest.newBuilder().setContainerId(id)
                .setExecId(execId).setData(ByteString.copyFrom(data)).build());
    }

    public void closeStdin(String id, String execId) throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getCloseStdinMethod(), CloseStdinRequest.newBuilder().setContainerId(id)
                .setExecId(execId).build());
    }

    public void resize(String id, String execId, int rows, int columns)
            throws RpcException, IOException, InterruptedException {
        call(AgentServiceGrpc.getTtyWinResizeMethod(), TtyWinResizeRequest.newBuilder().setContainerId(id)
                .setExecId(execId).setRow(rows).setColumn(columns).build());
    }

    /** One ReadStdout (or ReadStderr): up to {@code max} bytes, empty at EOF. */
    public byte[] read(String id, String execId, int max, boolean stdout)
            throws RpcException, IOException, InterruptedException {
        MethodDescriptor<ReadStreamRequest, ReadStreamResponse> method = stdout
                ? AgentServiceGrpc.getReadStdoutMethod() : AgentServiceGrpc.getReadStderrMethod();
        return ((ReadStreamResponse) call(method, ReadStreamRequest.newBuilder().setContainerId(id)
                .setExecId(execId).setLen(max).build())).getData().toByteArray();
    }

    /** Copies stdout (or stderr) to {@code out} until EOF, as the shim's io copy does; the byte count. */
    public long copyOutput(String id, String execId, boolean stdout, OutputStream out)
            throws RpcException, IOException, InterruptedException {
        long total = 0;
        while (true) {
            byte[] data = read(id, execId, READ_CHUNK, stdout);
            if (data.length == 0) {
                return total;
            }
            out.write(data);
            total += data.length;
        }
    }

    public byte[] readAll(String id, String execId, boolean stdout)
            throws RpcException, IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        copyOutput(id, execId, stdout, out);
        return out.toByteArray();
    }

    private Message call(MethodDescriptor<?, ?> method, Message request)
            throws RpcException, IOException, InterruptedException {
        return client.call(method, request, timeout);
    }
}
