package org.cvmagent.agent.service;

import com.google.protobuf.Empty;
import org.cvmagent.agent.files.SharedFiles;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;

/** The guest-level AgentService methods served next to the sandbox's: network and file sharing. */
public final class GuestHandlers {
    private final NetworkHandlers network;
    private final SharedFiles sharedFiles;

    public GuestHandlers(NetworkHandlers network, SharedFiles sharedFiles) {
        this.network = network;
        this.sharedFiles = sharedFiles;
    }

    public ServiceBinding.Builder addTo(ServiceBinding.Builder builder) {
        network.addTo(builder);
        return builder.unary(AgentServiceGrpc.getCopyFileMethod(), (ctx, req) -> {
            try {
                sharedFiles.copy(req);
            } catch (java.io.IOException e) {
                throw new RpcException(io.grpc.Status.Code.INTERNAL, "CopyFile " + req.getPath() + ": "
                        + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw RpcException.invalidArgument("CopyFile " + req.getPath() + ": " + e.getMessage());
            }
            return Empty.getDefaultInstance();
        });
    }
}
