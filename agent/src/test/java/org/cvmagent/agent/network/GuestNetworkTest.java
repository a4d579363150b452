package org.cvmagent.agent.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.proto.types.ARPNeighbor;
import org.cvmagent.proto.types.IPAddress;
import org.cvmagent.proto.types.IPFamily;
import org.cvmagent.proto.types.Interface;
import org.cvmagent.proto.types.Route;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The network RPCs against a real network namespace this test creates (root; iproute2 and iptables
 * are installed by scripts/setup): a veth pair stands in for the NIC the shim hot-plugs, and every
 * change is observed with `ip -json` afterwards.
 */
class GuestNetworkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MAC = "02:42:ac:11:00:07";

    private Reaper reaper;
    private CommandRunner runner;
    private String netns;
    private GuestNetwork network;
    private java.nio.file.Path sysfs;

    @BeforeEach
    void namespace() throws Exception {
        assertEquals("0", new ProcessBuilder("id", "-u").start().inputReader().readLine(),
                "network namespace tests run as root (CI does)");
        reaper = Reaper.start();
        runner = new CommandRunner(new PosixSpawner(reaper));
        netns = "cvmtest" + ThreadLocalRandom.current().nextInt(1_000_000);
        sh("ip", "netns", "add", netns);
        sh("ip", "-n", netns, "link", "add", "veth0", "address", MAC, "type", "veth", "peer", "name", "veth1");
        sh("ip", "-n", netns, "link", "set", "veth1", "up");
        sysfs = java.nio.file.Files.createTempDirectory("cvm-sysfs-");
        network = new GuestNetwork(new NetworkCommands(runner, netns, Duration.ofSeconds(20)),
                new org.cvmagent.agent.storage.BlockDevices(sysfs, java.nio.file.Path.of("/dev"), Duration.ofSeconds(1)));
    }

    @AfterEach
    void cleanup() throws Exception {
        if (netns != null) {
            sh("ip", "netns", "del", netns);
        }
        reaper.close();
        try (var tree = java.nio.file.Files.walk(sysfs)) {
            for (java.nio.file.Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    private CommandResult sh(String... argv) throws Exception {
        CommandResult r = runner.run(List.of(argv), List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                Duration.ofSeconds(20));
        assertTrue(r.succeeded(), String.join(" ", argv) + ": " + r.stderrText());
        return r;
    }

    private JsonNode ipJson(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", netns, "-json"));
        argv.addAll(List.of(args));
        String out = sh(argv.toArray(String[]::new)).stdoutText().strip();
        return out.isEmpty() ? JSON.createArrayNode() : JSON.readTree(out);
    }

    private static Interface eth0(String mask) {
        return Interface.newBuilder().setName("eth0").setHwAddr(MAC.toUpperCase()).setMtu(1400)
                .addIPAddresses(IPAddress.newBuilder().setFamily(IPFamily.v4).setAddress("10.244.2.67").setMask(mask))
                .addIPAddresses(IPAddress.newBuilder().setFamily(IPFamily.v6).setAddress("fd00::67").setMask("64"))
                .build();
    }

    @Test
    void updateInterfaceFindsTheNicByMacAndConfiguresIt() throws Exception {
        network.updateInterface(eth0("24"));
        JsonNode link = ipJson("address", "show", "dev", "eth0").get(0);
        assertEquals(MAC, link.path("address").asText());
        assertEquals(1400, link.path("mtu").asInt());
        assertTrue(link.path("flags").toString().contains("\"UP\""), link.toString());
        List<String> addrs = new ArrayList<>();
        link.path("addr_info").forEach(a -> addrs.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt()));
        assertTrue(addrs.contains("10.244.2.67/24"), addrs.toString());
        assertTrue(addrs.contains("fd00::67/64"), addrs.toString());
        // again: idempotent, as the shim may resend
        network.updateInterface(eth0("24"));
        Interface listed = network.listInterfaces().stream().filter(i -> i.getName().equals("eth0")).findFirst()
                .orElseThrow();
        assertEquals(MAC, listed.getHwAddr());
        assertEquals("veth", listed.getType());
        assertTrue(listed.getIPAddressesList().stream().anyMatch(a -> a.getAddress().equals("10.244.2.67")
                && a.getMask().equals("24") && a.getFamily() == IPFamily.v4));
        assertEquals(1, listed.getRawFlags() & 1, "IFF_UP");
    }

    @Test
    void aNicNamedByPciPathGetsTheRequestedMac() throws Exception {
        // the hot-plugged NIC as sysfs shows it: slot 05 on the root bus, a virtio device with a netdev
        java.nio.file.Files.createDirectories(sysfs.resolve("devices/pci0000:00/0000:00:05.0/virtio3/net/veth0"));
        String wanted = "02:42:ac:11:00:99";
        network.updateInterface(eth0("24").toBuilder().setHwAddr(wanted).setDevicePath("05").build());
        assertEquals(wanted, ipJson("link", "show", "dev", "eth0").get(0).path("address").asText());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(RpcException.class, () -> network.updateInterface(
                eth0("24").toBuilder().setDevicePath("07").build())).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class, () -> network.updateInterface(
                eth0("24").toBuilder().setDevicePath("zz/../x").build())).code());
    }

    @Test
    void theNameOfAnotherLinkIsSwappedNotLost() throws Exception {
        sh("ip", "-n", netns, "link", "set", "veth1", "name", "eth0");
        network.updateInterface(eth0("24"));
        JsonNode eth0 = ipJson("link", "show", "dev", "eth0").get(0);
        assertEquals(MAC, eth0.path("address").asText());
        assertEquals(1, ipJson("link", "show", "dev", "veth0").size(), "the other link took the old name");
    }

    @Test
    void badInterfacesAreRejectedAndChangeNothing() throws Exception {
        String before = ipJson("address", "show").toString();
        RpcException unknown = assertThrows(RpcException.class, () -> network.updateInterface(
                eth0("24").toBuilder().setHwAddr("02:00:00:00:00:99").setName("nope0").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> network.updateInterface(eth0("33"))).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> network.updateInterface(eth0("24").toBuilder().setHwAddr("zz").build())).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> network.updateInterface(eth0("24").toBuilder().setName("../etc").build())).code());
        RpcException host = assertThrows(RpcException.class, () -> network.updateInterface(eth0("24").toBuilder()
                .setIPAddresses(0, IPAddress.newBuilder().setAddress("example.com").setMask("24")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, host.code());
        assertTrue(host.getMessage().contains("interface.IPAddresses[0].address"), host.getMessage());
        assertEquals(before, ipJson("address", "show").toString(), "the namespace is unchanged");
    }

    @Test
    void routesAreAddedGatewaylessFirstAndListed() throws Exception {
        network.updateInterface(eth0("24"));
        List<Route> routes = network.updateRoutes(List.of(
                Route.newBuilder().setDest("10.96.0.0/12").setGateway("10.244.2.1").setDevice("eth0").build(),
                Route.newBuilder().setDest("").setGateway("10.244.2.1").setDevice("eth0").build(),
                Route.newBuilder().setDest("10.244.2.1/32").setDevice("eth0").setScope(253).build()));
        String table = ipJson("-4", "route", "show", "table", "main").toString();
        assertTrue(table.contains("\"dst\":\"10.96.0.0/12\",\"gateway\":\"10.244.2.1\""), table);
        assertTrue(table.contains("\"dst\":\"default\",\"gateway\":\"10.244.2.1\""), table);
        assertTrue(routes.stream().anyMatch(r -> r.getDest().equals("10.96.0.0/12")
                && r.getGateway().equals("10.244.2.1") && r.getDevice().equals("eth0")), routes.toString());
        assertTrue(routes.stream().anyMatch(r -> r.getDest().equals("10.244.2.1/32") && r.getScope() == 253));
        // replace, not fail, when the shim sends the same routes again
        network.updateRoutes(List.of(Route.newBuilder().setDest("10.96.0.0/12").setGateway("10.244.2.1")
                .setDevice("eth0").build()));
        assertEquals(Status.Code.NOT_FOUND, assertThrows(RpcException.class, () -> network.updateRoutes(List.of(
                Route.newBuilder().setDest("10.1.0.0/16").setDevice("eth9").build()))).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class, () -> network.updateRoutes(
                List.of(Route.newBuilder().setDest("10.1.0.0/40").setDevice("eth0").build()))).code());
        assertFalse(ipJson("-4", "route", "show").toString().contains("10.1.0.0"));
    }

    @Test
    void anOnlinkRouteReachesAGatewayOutsideTheSubnet() throws Exception {
        network.updateInterface(eth0("24"));
        Route viaHost = Route.newBuilder().setDest("10.50.0.0/16").setGateway("169.254.1.1").setDevice("eth0")
                .build();
        RpcException unreachable = assertThrows(RpcException.class, () -> network.updateRoutes(List.of(viaHost)));
        assertTrue(unreachable.getMessage().contains("ip -4 route replace"), unreachable.getMessage());
        List<Route> routes = network.updateRoutes(List.of(viaHost.toBuilder().setFlags(4).build()));
        assertTrue(routes.stream().anyMatch(r -> r.getDest().equals("10.50.0.0/16") && r.getFlags() == 4),
                routes.toString());
        assertTrue(ipJson("-4", "route", "show", "10.50.0.0/16").toString().contains("onlink"));
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class, () -> network.updateRoutes(
                List.of(viaHost.toBuilder().setDest("10.51.0.0/16").setFlags(0x41).build()))).code());
        assertFalse(ipJson("-4", "route", "show").toString().contains("10.51.0.0"));
    }

    @Test
    void withIpv6OffTheIpv4AddressesStillApply() throws Exception {
        sh("ip", "netns", "exec", netns, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"
                + " && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6");
        network.updateInterface(eth0("24"));
        String addresses = ipJson("address", "show", "dev", "eth0").toString();
        assertTrue(addresses.contains("10.244.2.67"), addresses);
        assertFalse(addresses.contains("fd00::67"), addresses);
    }

    @Test
    void arpNeighboursAreStaticEntries() throws Exception {
        network.updateInterface(eth0("24"));
        network.addArpNeighbors(List.of(ARPNeighbor.newBuilder().setDevice("eth0").setLladdr("02:42:ac:11:00:01")
                .setToIPAddress(IPAddress.newBuilder().setAddress("10.244.2.1")).build()));
        JsonNode neigh = ipJson("neigh", "show", "dev", "eth0");
        assertEquals("10.244.2.1", neigh.get(0).path("dst").asText());
        assertEquals("02:42:ac:11:00:01", neigh.get(0).path("lladdr").asText());
        assertTrue(neigh.get(0).path("state").toString().contains("PERMANENT"), neigh.toString());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class, () -> network.addArpNeighbors(
                List.of(ARPNeighbor.newBuilder().setDevice("eth0").setLladdr("02:42:ac:11:00:01").setState(3)
                        .setToIPAddress(IPAddress.newBuilder().setAddress("10.244.2.2")).build()))).code());
    }

    @Test
    void iptablesRoundTrip() throws Exception {
        String rules = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                + "-A INPUT -s 10.9.9.9/32 -j DROP\nCOMMIT\n";
        network.setIpTables(false, rules.getBytes(StandardCharsets.UTF_8));
        String saved = new String(network.getIpTables(false), StandardCharsets.UTF_8);
        assertTrue(saved.contains("-A INPUT -s 10.9.9.9/32 -j DROP"), saved);
        RpcException bad = assertThrows(RpcException.class,
                () -> network.setIpTables(false, "*filter\n-A NOPE -j\nCOMMIT\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(bad.getMessage().contains("iptables-restore"), bad.getMessage());
        assertTrue(new String(network.getIpTables(false), StandardCharsets.UTF_8).contains("10.9.9.9"),
                "a rejected ruleset leaves the old one");
    }
}
