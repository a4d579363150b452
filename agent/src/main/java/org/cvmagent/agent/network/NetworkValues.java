package org.cvmagent.agent.network;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.regex.Pattern;
import org.cvmagent.rpc.RpcException;

/**
 * Validation of what the host names in network requests, before any tool sees it: addresses are
 * literals (never resolved), prefixes in range, MACs and interface names well-formed — so a bad
 * request is INVALID_ARGUMENT naming the field and changes nothing.
 */
final class NetworkValues {
    private static final Pattern MAC = Pattern.compile("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    /** Linux IFNAMSIZ is 16 with the NUL; no slash, whitespace or colon (alias syntax). */
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.@-]{1,15}");

    private NetworkValues() {
    }

    static String mac(String value, String field) throws RpcException {
        if (!MAC.matcher(value).matches()) {
            throw RpcException.invalidArgument(field + ": '" + value + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
        }
        return value.toLowerCase(java.util.Locale.ROOT);
    }

    static String ifname(String value, String field) throws RpcException {
        if (!IFNAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
            throw RpcException.invalidArgument(field + ": '" + value + "' is not an interface name");
        }
        return value;
    }

    /** An IP literal; v6 says which family it must be (null: either). */
    static InetAddress ip(String value, Boolean v6, String field) throws RpcException {
        InetAddress a;
        try {
            a = InetAddress.ofLiteral(value);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument(field + ": '" + value + "' is not an IP address");
        }
        if (v6 != null && v6 != (a instanceof Inet6Address)) {
            throw RpcException.invalidArgument(field + ": '" + value + "' is not an IPv" + (v6 ? "6" : "4")
                    + " address");
        }
        return a;
    }

    static int prefix(String value, InetAddress address, String field) throws RpcException {
        int max = address instanceof Inet4Address ? 32 : 128;
        try {
            int p = Integer.parseInt(value.strip());
            if (p >= 0 && p <= max) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted range
        }
        throw RpcException.invalidArgument(field + ": '" + value + "' is not a prefix length (0-" + max + ")");
    }

    /** "addr/len" or a bare address (a host route): the canonical "addr/len". */
    static String cidr(String value, Boolean v6, String field) throws RpcException {
        int slash = value.indexOf('/');
        InetAddress a = ip(slash < 0 ? value : value.substring(0, slash), v6, field);
        int len = slash < 0 ? (a instanceof Inet4Address ? 32 : 128) : prefix(value.substring(slash + 1), a, field);
        return a.getHostAddress() + "/" + len;
    }

    static String text(InetAddress a) {
        return a.getHostAddress();
    }
}
