package org.cvmagent.agent.network;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.agent.storage.BlockDevices;
import org.cvmagent.proto.types.ARPNeighbor;
import org.cvmagent.proto.types.IPAddress;
import org.cvmagent.proto.types.IPFamily;
import org.cvmagent.proto.types.Interface;
import org.cvmagent.proto.types.Route;
import org.cvmagent.rpc.RpcException;

/**
 * kata's network RPCs with kata's semantics (src/agent/src/netlink.rs): interfaces found by MAC,
 * renamed, given MTU, ARP setting and addresses and brought up; routes added or replaced in the main
 * table, gateway-less ones first so that their gateways are reachable; static neighbours; iptables
 * saved and restored. Every value the host sends is validated before a tool runs.
 */
public final class GuestNetwork {
    private static final int IFF_NOARP = 0x80;
    private static final Map<String, Integer> LINK_FLAGS = Map.ofEntries(Map.entry("UP", 0x1),
            Map.entry("BROADCAST", 0x2), Map.entry("DEBUG", 0x4), Map.entry("LOOPBACK", 0x8),
            Map.entry("POINTOPOINT", 0x10), Map.entry("NOTRAILERS", 0x20), Map.entry("RUNNING", 0x40),
            Map.entry("NOARP", 0x80), Map.entry("PROMISC", 0x100), Map.entry("ALLMULTI", 0x200),
            Map.entry("MASTER", 0x400), Map.entry("SLAVE", 0x800), Map.entry("MULTICAST", 0x1000),
            Map.entry("PORTSEL", 0x2000), Map.entry("AUTOMEDIA", 0x4000), Map.entry("DYNAMIC", 0x8000),
            Map.entry("LOWER_UP", 0x10000), Map.entry("DORMANT", 0x20000), Map.entry("ECHO", 0x40000));
    private static final Map<Integer, String> NUD_STATES = Map.of(0x01, "incomplete", 0x02, "reachable",
            0x04, "stale", 0x08, "delay", 0x10, "probe", 0x20, "failed", 0x40, "noarp", 0x80, "permanent");
    /** Next-hop flags (RTNH_F_*) as ip prints them; of these a route request can only set onlink. */
    private static final Map<String, Integer> ROUTE_FLAGS = Map.of("dead", 0x1, "pervasive", 0x2, "onlink", 0x4,
            "offload", 0x8, "linkdown", 0x10, "unresolved", 0x20, "trap", 0x40);
    private static final int RTNH_F_ONLINK = 0x4;
    private static final int NTF_PROXY = 0x08;
    private static final int NTF_ROUTER = 0x80;
    private static final Map<String, Integer> SCOPES = Map.of("global", 0, "universe", 0, "site", 200, "link", 253,
            "host", 254, "nowhere", 255);

    private final NetworkCommands commands;
    private final BlockDevices pci;

    /** @param pci finds a NIC's sysfs device by the PCI path the shim names (hot-plugged NICs) */
    public GuestNetwork(NetworkCommands commands, BlockDevices pci) {
        this.commands = commands;
        this.pci = pci;
    }

    // ---- interfaces

    public List<Interface> listInterfaces() throws RpcException {
        List<Interface> out = new ArrayList<>();
        for (JsonNode link : commands.ipJson("-details", "address", "show")) {
            Interface.Builder b = Interface.newBuilder()
                    .setDevice(link.path("ifname").asText())
                    .setName(link.path("ifname").asText())
                    .setMtu(link.path("mtu").asLong())
                    .setHwAddr(link.path("address").asText())
                    .setType(link.path("linkinfo").path("info_kind").asText(link.path("link_type").asText()))
                    .setRawFlags(bits(link.path("flags"), LINK_FLAGS));
            for (JsonNode a : link.path("addr_info")) {
                String family = a.path("family").asText();
                if (!family.equals("inet") && !family.equals("inet6")) {
                    continue;
                }
                b.addIPAddresses(IPAddress.newBuilder()
                        .setFamily(family.equals("inet6") ? IPFamily.v6 : IPFamily.v4)
                        .setAddress(a.path("local").asText())
                        .setMask(a.path("prefixlen").asText()));
            }
            out.add(b.build());
        }
        return out;
    }

    /**
     * UpdateInterface: the link with the request's MAC (or, when none has it, the link with the
     * request's name, which then gets that MAC) takes name, MTU, ARP setting and addresses and comes up.
     */
    public Interface updateInterface(Interface iface) throws RpcException {
        String mac = NetworkValues.mac(iface.getHwAddr(), "interface.hwAddr");
        String name = NetworkValues.ifname(iface.getName(), "interface.name");
        if (iface.getMtu() > 65535) {
            throw RpcException.invalidArgument("interface.mtu: " + iface.getMtu() + " is above 65535");
        }
        List<String> addresses = new ArrayList<>();
        boolean v6Requested = false;
        for (int i = 0; i < iface.getIPAddressesCount(); i++) {
            IPAddress a = iface.getIPAddresses(i);
            String field = "interface.IPAddresses[" + i + "]";
            InetAddress ip = NetworkValues.ip(a.getAddress(), a.getFamily() == IPFamily.v6, field + ".address");
            addresses.add(NetworkValues.text(ip) + "/" + NetworkValues.prefix(a.getMask(), ip, field + ".mask"));
            v6Requested |= ip instanceof Inet6Address;
        }
        if (v6Requested && !ipv6Enabled()) {
            // kata: a dual-stack pod on a guest whose IPv6 is off keeps its IPv4 addresses rather
            // than failing the sandbox
            addresses.removeIf(cidr -> cidr.contains(":"));
        }
        if (!iface.getDevicePath().isEmpty()) {
            // kata: a NIC named by PCI path gets the request's MAC first, then is found by it
            String byPci = netdevAt(iface.getDevicePath());
            JsonNode link = commands.ipJson("link", "show", "dev", byPci).path(0);
            if (!link.path("address").asText().equalsIgnoreCase(mac)) {
                commands.ip("link", "set", "dev", byPci, "down");
                commands.ip("link", "set", "dev", byPci, "address", mac);
            }
        }
        List<JsonNode> links = new ArrayList<>();
        commands.ipJson("link", "show").forEach(links::add);
        Optional<JsonNode> byMac = links.stream().filter(l -> l.path("address").asText().equalsIgnoreCase(mac))
                .findFirst();
        String current;
        if (byMac.isPresent()) {
            current = byMac.get().path("ifname").asText();
        } else {
            Optional<JsonNode> byName = links.stream().filter(l -> l.path("ifname").asText().equals(name)).findFirst();
            if (byName.isEmpty()) {
                throw RpcException.notFound("UpdateInterface: no interface has MAC " + mac + " and none is named "
                        + name);
            }
            current = name;
            commands.ip("link", "set", "dev", current, "down");
            commands.ip("link", "set", "dev", current, "address", mac);
        }
        commands.ip("link", "set", "dev", current, "down");
        addAddresses(current, addresses);
        // another link holding the wanted name gives it up for the rename, then takes our old name
        Optional<String> displaced = Optional.empty();
        if (!current.equals(name) && links.stream().anyMatch(l -> l.path("ifname").asText().equals(name))) {
            commands.ip("link", "set", "dev", name, "down");
            commands.ip("link", "set", "dev", name, "name", tempName(name));
            displaced = Optional.of(tempName(name));
        }
        List<String> set = new ArrayList<>(List.of("link", "set", "dev", current));
        if (iface.getMtu() != 0) {
            set.addAll(List.of("mtu", Long.toString(iface.getMtu())));
        }
        set.addAll(List.of("name", name, "arp", (iface.getRawFlags() & IFF_NOARP) == 0 ? "on" : "off", "up"));
        commands.ip(set.toArray(String[]::new));
        if (displaced.isPresent()) {
            commands.ip("link", "set", "dev", displaced.get(), "name", current, "up");
        }
        return iface;
    }

    private boolean ipv6Enabled() throws RpcException {
        return commands.sysctl("net/ipv6/conf/all/disable_ipv6").orElse("1").equals("0")
                || commands.sysctl("net/ipv6/conf/default/disable_ipv6").orElse("1").equals("0");
    }

    private void addAddresses(String device, List<String> cidrs) throws RpcException {
        // kata adds addresses idempotently: one the link already has is left alone
        List<String> present = new ArrayList<>();
        for (JsonNode link : commands.ipJson("address", "show", "dev", device)) {
            for (JsonNode a : link.path("addr_info")) {
                present.add(canonical(a.path("local").asText(), a.path("prefixlen").asText()));
            }
        }
        for (String cidr : cidrs) {
            String[] parts = cidr.split("/");
            if (!present.contains(canonical(parts[0], parts[1]))) {
                commands.ip("address", "add", cidr, "dev", device);
            }
        }
    }

    private static String canonical(String address, String prefix) {
        try {
            return InetAddress.ofLiteral(address).getHostAddress() + "/" + prefix;
        } catch (IllegalArgumentException e) {
            // ip printed something that is not an address literal: it can match nothing we add
            return address + "/" + prefix;
        }
    }

    /** The network device under the PCI device at the path: {@code net/NAME} or {@code virtioN/net/NAME}. */
    private String netdevAt(String pciPath) throws RpcException {
        try {
            Path device = pci.pciDeviceDirectory(pciPath);
            List<Path> candidates = new ArrayList<>(List.of(device.resolve("net")));
            try (var children = Files.newDirectoryStream(device, "virtio*")) {
                children.forEach(c -> candidates.add(c.resolve("net")));
            }
            for (Path net : candidates) {
                if (Files.isDirectory(net)) {
                    try (var names = Files.list(net)) {
                        Optional<Path> first = names.findFirst();
                        if (first.isPresent()) {
                            return NetworkValues.ifname(first.get().getFileName().toString(), "interface.devicePath");
                        }
                    }
                }
            }
            throw RpcException.notFound("UpdateInterface: the PCI device at " + pciPath + " has no network interface");
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument("interface.devicePath: " + e.getMessage());
        } catch (IOException e) {
            throw RpcException.notFound("UpdateInterface: no device at PCI path " + pciPath + ": " + e.getMessage());
        }
    }

    private static String tempName(String name) {
        String t = name + "_temp";
        return t.length() <= 15 ? t : name.substring(0, 10) + "_temp";
    }

    private static int bits(JsonNode names, Map<String, Integer> known) {
        int flags = 0;
        for (JsonNode n : names) {
            flags |= known.getOrDefault(n.asText(), 0);
        }
        return flags;
    }

    // ---- routes

    public List<Route> listRoutes() throws RpcException {
        List<Route> out = new ArrayList<>();
        for (boolean v6 : new boolean[] {false, true}) {
            JsonNode routes = v6 ? commands.ipJson("-6", "route", "show", "table", "main")
                    : commands.ipJson("-4", "route", "show", "table", "main");
            for (JsonNode r : routes) {
                String dst = r.path("dst").asText();
                String gateway = r.path("gateway").asText("");
                String dest = dst.equals("default") ? (v6 ? "::/0" : "0.0.0.0/0") : dst.contains("/") ? dst
                        : dst + (v6 ? "/128" : "/32");
                Route.Builder b = Route.newBuilder().setDest(dest).setGateway(gateway)
                        .setDevice(r.path("dev").asText()).setSource(r.path("prefsrc").asText(""))
                        .setScope(SCOPES.getOrDefault(r.path("scope").asText("global"), 0))
                        .setFamily(v6 ? IPFamily.v6 : IPFamily.v4)
                        .setFlags(bits(r.path("flags"), ROUTE_FLAGS));
                if (r.has("metrics")) {
                    for (JsonNode m : r.path("metrics")) {
                        if (m.has("mtu")) {
                            b.setMtu(m.path("mtu").asInt());
                        }
                    }
                }
                out.add(b.build());
            }
        }
        return out;
    }

    /** UpdateRoutes: every route added or replaced, gateway-less first; the routes as they now are. */
    public List<Route> updateRoutes(List<Route> routes) throws RpcException {
        List<List<String>> commandsInOrder = new ArrayList<>();
        List<List<String>> withGateway = new ArrayList<>();
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            List<String> cmd = routeCommand(r, "routes[" + i + "]");
            (r.getGateway().isEmpty() ? commandsInOrder : withGateway).add(cmd);
        }
        commandsInOrder.addAll(withGateway);
        for (List<String> cmd : commandsInOrder) {
            commands.ip(cmd.toArray(String[]::new));
        }
        return listRoutes();
    }

    private static List<String> routeCommand(Route r, String field) throws RpcException {
        boolean v6 = r.getFamily() == IPFamily.v6;
        String device = NetworkValues.ifname(r.getDevice(), field + ".device");
        String dest = r.getDest().isEmpty() || r.getDest().equals("default") ? (v6 ? "::/0" : "0.0.0.0/0")
                : NetworkValues.cidr(r.getDest(), v6, field + ".dest");
        List<String> cmd = new ArrayList<>(List.of(v6 ? "-6" : "-4", "route", "replace", dest, "dev", device));
        if (!r.getGateway().isEmpty()) {
            cmd.addAll(List.of("via", NetworkValues.text(NetworkValues.ip(r.getGateway(), v6, field + ".gateway"))));
        }
        if (!r.getSource().isEmpty()) {
            String source = NetworkValues.cidr(r.getSource(), v6, field + ".source");
            String[] parts = source.split("/");
            boolean host = parts[1].equals("0") || parts[1].equals(v6 ? "128" : "32") || !r.getSource().contains("/");
            cmd.addAll(host ? List.of("src", parts[0]) : List.of("from", source));
        }
        if (r.getScope() > 255) {
            throw RpcException.invalidArgument(field + ".scope: " + r.getScope() + " is above 255");
        }
        cmd.addAll(List.of("scope", Integer.toString(r.getScope()), "proto", "boot", "table", "main"));
        int unsettable = r.getFlags() & ~RTNH_F_ONLINK;
        if (unsettable != 0) {
            throw RpcException.invalidArgument(field + ".flags: 0x" + Integer.toHexString(unsettable)
                    + " (only RTNH_F_ONLINK 0x4 can be set; the kernel sets the others)");
        }
        if ((r.getFlags() & RTNH_F_ONLINK) != 0) {
            // a gateway outside the link's subnets, as CNIs that route via a /32 host address use
            cmd.add("onlink");
        }
        if (r.getMtu() != 0) {
            cmd.addAll(List.of("mtu", Integer.toString(r.getMtu())));
        }
        return cmd;
    }

    // ---- neighbours

    public void addArpNeighbors(List<ARPNeighbor> neighbors) throws RpcException {
        List<List<String>> cmds = new ArrayList<>();
        for (int i = 0; i < neighbors.size(); i++) {
            ARPNeighbor n = neighbors.get(i);
            String field = "neighbors[" + i + "]";
            if (!n.hasToIPAddress()) {
                throw RpcException.invalidArgument(field + ".toIPAddress is missing");
            }
            InetAddress ip = NetworkValues.ip(n.getToIPAddress().getAddress(), null, field + ".toIPAddress.address");
            String device = NetworkValues.ifname(n.getDevice(), field + ".device");
            List<String> cmd = new ArrayList<>(List.of(ip instanceof Inet6Address ? "-6" : "-4", "neighbour",
                    "replace", NetworkValues.text(ip), "dev", device));
            if (!n.getLladdr().isEmpty()) {
                cmd.addAll(List.of("lladdr", NetworkValues.mac(n.getLladdr(), field + ".lladdr")));
            }
            int state = n.getState() == 0 ? 0x80 : n.getState();
            String nud = NUD_STATES.get(state);
            if (nud == null) {
                throw RpcException.invalidArgument(field + ".state: 0x" + Integer.toHexString(n.getState())
                        + " is not one NUD state");
            }
            cmd.addAll(List.of("nud", nud));
            int unknown = n.getFlags() & ~(NTF_PROXY | NTF_ROUTER);
            if (unknown != 0) {
                throw RpcException.invalidArgument(field + ".flags: 0x" + Integer.toHexString(unknown)
                        + " (only NTF_PROXY 0x8 and NTF_ROUTER 0x80 can be set)");
            }
            if ((n.getFlags() & NTF_PROXY) != 0) {
                cmd.add("proxy");
            }
            if ((n.getFlags() & NTF_ROUTER) != 0) {
                cmd.add("router");
            }
            cmds.add(cmd);
        }
        for (List<String> cmd : cmds) {
            commands.ip(cmd.toArray(String[]::new));
        }
    }

    // ---- iptables

    public byte[] getIpTables(boolean v6) throws RpcException {
        return commands.tool(List.of(v6 ? "ip6tables-save" : "iptables-save")).stdout();
    }

    /** Restores a ruleset in iptables-save format; the tool's output comes back, as kata returns it. */
    public byte[] setIpTables(boolean v6, byte[] data) throws RpcException {
        Path rules = null;
        try {
            rules = Files.createTempFile("cvm-iptables-", ".rules");
            Files.write(rules, data);
            return commands.tool(List.of(v6 ? "ip6tables-restore" : "iptables-restore", rules.toString())).stdout();
        } catch (IOException e) {
            throw new RpcException(io.grpc.Status.Code.INTERNAL, "cannot stage the iptables rules: " + e.getMessage());
        } finally {
            if (rules != null) {
                try {
                    Files.deleteIfExists(rules);
                } catch (IOException e) {
                    System.getLogger("org.cvmagent.agent.network").log(System.Logger.Level.WARNING,
                            "cannot remove staged iptables rules " + rules + ": " + e.getMessage());
                }
            }
        }
    }
}
