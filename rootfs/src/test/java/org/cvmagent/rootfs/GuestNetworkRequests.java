package org.cvmagent.rootfs;

import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.GetIPTablesRequest;
import org.cvmagent.proto.agent.GetIPTablesResponse;
import org.cvmagent.proto.agent.SetIPTablesRequest;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cvmagent.proto.agent.Routes;
import org.cvmagent.proto.agent.UpdateInterfaceRequest;
import org.cvmagent.proto.agent.UpdateRoutesRequest;
import org.cvmagent.proto.types.IPAddress;
import org.cvmagent.proto.types.IPFamily;
import org.cvmagent.proto.types.Interface;
import org.cvmagent.proto.types.Route;

/**
 * The network a kata shim would configure for the guest's NIC, here QEMU's user networking as
 * rootfs/run-guest sets it up: the guest is 10.0.2.15/24, QEMU's gateway 10.0.2.2 forwards to the
 * host's loopback (so a registry on the host's 127.0.0.1:PORT is 10.0.2.2:PORT to the guest).
 */
final class GuestNetworkRequests {

    /** The MAC run-guest gives the virtio-net NIC (CVM_GUEST_MAC's default). */
    static final String MAC = "52:54:00:12:34:56";
    static final String GATEWAY = "10.0.2.2";
    private static final String ADDRESS = "10.0.2.15";
    private static final String NAME = "eth0";
    /** RT_SCOPE_LINK: the on-link route of the interface's subnet. */
    private static final int SCOPE_LINK = 253;

    /** A rule a shim could set: drop a documentation address (RFC 5737), harmless to the test's traffic. */
    static final String IPTABLES_RULE = "-A INPUT -s 192.0.2.1/32 -j DROP";
    static final String IPTABLES_RULES = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
            + IPTABLES_RULE + "\nCOMMIT\n";

    private GuestNetworkRequests() {
    }

    static UpdateInterfaceRequest userNetInterface() {
        return UpdateInterfaceRequest.newBuilder().setInterface(Interface.newBuilder().setName(NAME).setHwAddr(MAC)
                .setMtu(1500).addIPAddresses(IPAddress.newBuilder().setFamily(IPFamily.v4).setAddress(ADDRESS)
                        .setMask("24"))).build();
    }

    /** The subnet on the link, and the default route through QEMU's gateway. */
    static UpdateRoutesRequest userNetRoutes() {
        return UpdateRoutesRequest.newBuilder().setRoutes(Routes.newBuilder()
                .addRoutes(Route.newBuilder().setDest("10.0.2.0/24").setDevice(NAME).setSource(ADDRESS)
                        .setScope(SCOPE_LINK).setFamily(IPFamily.v4))
                .addRoutes(Route.newBuilder().setDest("").setGateway(GATEWAY).setDevice(NAME).setFamily(IPFamily.v4)))
                .build();
    }

    /** The shim's network set-up, answered with the interface and routes as the guest now has them. */
    static void configure(AgentClient client, Duration timeout) throws Exception {
        Interface nic = (Interface) client.call(AgentServiceGrpc.getUpdateInterfaceMethod(),
                userNetInterface(), timeout);
        assertEquals("eth0", nic.getName());
        assertEquals(MAC, nic.getHwAddr().toLowerCase(java.util.Locale.ROOT));
        assertTrue(nic.getIPAddressesList().stream().anyMatch(a -> a.getAddress().equals("10.0.2.15")),
                nic.toString());
        Routes routes = (Routes) client.call(AgentServiceGrpc.getUpdateRoutesMethod(),
                userNetRoutes(), timeout);
        assertTrue(routes.getRoutesList().stream().map(Route::getGateway).anyMatch(GATEWAY::equals),
                "no default route through " + GATEWAY + ": " + routes);
        // the guest's iptables (nf_tables backend) takes the shim's rules and reads them back
        client.call(AgentServiceGrpc.getSetIPTablesMethod(), SetIPTablesRequest.newBuilder().setData(
                com.google.protobuf.ByteString.copyFromUtf8(IPTABLES_RULES)).build(), timeout);
        GetIPTablesResponse rules = (GetIPTablesResponse) client.call(AgentServiceGrpc.getGetIPTablesMethod(),
                GetIPTablesRequest.getDefaultInstance(), timeout);
        assertTrue(rules.getData().toStringUtf8().contains(IPTABLES_RULE), rules.getData().toStringUtf8());
    }
}
