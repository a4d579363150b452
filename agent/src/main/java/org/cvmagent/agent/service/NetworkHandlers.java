package org.cvmagent.agent.service;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import org.cvmagent.agent.network.GuestNetwork;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.GetIPTablesResponse;
import org.cvmagent.proto.agent.Interfaces;
import org.cvmagent.proto.agent.Routes;
import org.cvmagent.proto.agent.SetIPTablesResponse;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;

/** kata's network methods of AgentService, served by {@link GuestNetwork}. */
public final class NetworkHandlers {
    private final GuestNetwork network;

    public NetworkHandlers(GuestNetwork network) {
        this.network = network;
    }

    public ServiceBinding.Builder addTo(ServiceBinding.Builder builder) {
        return builder
                .unary(AgentServiceGrpc.getUpdateInterfaceMethod(), (ctx, req) -> {
                    if (!req.hasInterface()) {
                        throw RpcException.invalidArgument("UpdateInterfaceRequest.interface is missing");
                    }
                    return network.updateInterface(req.getInterface());
                })
                .unary(AgentServiceGrpc.getUpdateRoutesMethod(), (ctx, req) -> {
                    // as kata: a request without its Routes message is malformed; an empty list is not
                    if (!req.hasRoutes()) {
                        throw RpcException.invalidArgument("UpdateRoutesRequest.routes is missing");
                    }
                    return Routes.newBuilder().addAllRoutes(network.updateRoutes(req.getRoutes().getRoutesList()))
                            .build();
                })
                .unary(AgentServiceGrpc.getListInterfacesMethod(), (ctx, req) ->
                        Interfaces.newBuilder().addAllInterfaces(network.listInterfaces()).build())
                .unary(AgentServiceGrpc.getListRoutesMethod(), (ctx, req) ->
                        Routes.newBuilder().addAllRoutes(network.listRoutes()).build())
                .unary(AgentServiceGrpc.getAddARPNeighborsMethod(), (ctx, req) -> {
                    if (!req.hasNeighbors()) {
                        throw RpcException.invalidArgument("AddARPNeighborsRequest.neighbors is missing");
                    }
                    network.addArpNeighbors(req.getNeighbors().getARPNeighborsList());
                    return Empty.getDefaultInstance();
                })
                .unary(AgentServiceGrpc.getGetIPTablesMethod(), (ctx, req) -> GetIPTablesResponse.newBuilder()
                        .setData(ByteString.copyFrom(network.getIpTables(req.getIsIpv6()))).build())
                .unary(AgentServiceGrpc.getSetIPTablesMethod(), (ctx, req) -> SetIPTablesResponse.newBuilder()
                        .setData(ByteString.copyFrom(network.setIpTables(req.getIsIpv6(), req.getData().toByteArray())))
                        .build());
    }
}
