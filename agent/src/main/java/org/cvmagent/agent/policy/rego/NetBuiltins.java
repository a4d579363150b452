package org.cvmagent.agent.policy.rego;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The net.cidr_* builtins. Addresses are parsed here, never by InetAddress (which would resolve a
 * host name through DNS): IPv4 in dotted decimal without leading zeros, IPv6 in RFC 4291 text form
 * with an optional trailing dotted quad, CIDRs as address "/" prefix length — the forms Go's
 * net.ParseIP and net.ParseCIDR accept, which OPA uses. Results are written as Go writes them
 * (RFC 5952 for IPv6).
 */
final class NetBuiltins {
    private NetBuiltins() {
    }

    /** An address (4 or 16 bytes as an unsigned number) or a network: its first address and prefix length. */
    record Net(BigInteger addr, int bits, int prefix) {
        BigInteger last() {
            return addr.or(BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE));
        }

        boolean contains(Net inner) {
            return bits == inner.bits && prefix <= inner.prefix && inner.addr.compareTo(addr) >= 0
                    && inner.last().compareTo(last()) <= 0;
        }

        boolean containsAddr(BigInteger a, int aBits) {
            return bits == aBits && a.compareTo(addr) >= 0 && a.compareTo(last()) <= 0;
        }

        String text() {
            return format(addr, bits) + "/" + prefix;
        }
    }

    static void register(Builtins b) {
        // a non-string is a type error, as in regorus (strict: an error, otherwise undefined); OPA answers false
        b.add("net.cidr_is_valid", 1, (a, bu) -> Value.bool(parseCidr(Args.str("net.cidr_is_valid", a, 0)) != null));
        b.add("net.cidr_contains", 2, (a, bu) -> {
            Net net = cidrOperand("net.cidr_contains", a, 0);
            return Value.bool(containsAddrOrCidr("net.cidr_contains", net, Args.str("net.cidr_contains", a, 1)));
        });
        b.add("net.cidr_intersects", 2, (a, bu) -> {
            Net x = cidrOperand("net.cidr_intersects", a, 0);
            Net y = cidrOperand("net.cidr_intersects", a, 1);
            return Value.bool(x.bits == y.bits && (x.containsAddr(y.addr, y.bits) || y.containsAddr(x.addr, x.bits)));
        });
        b.add("net.cidr_expand", 1, (a, bu) -> {
            Net net = cidrOperand("net.cidr_expand", a, 0);
            BigInteger count = net.last().subtract(net.addr).add(BigInteger.ONE);
            // every address is an element of the result: charge them all before building any
            bu.charge(count.bitLength() > 62 ? Long.MAX_VALUE / 2 : count.longValueExact());
            TreeSet<Value> out = new TreeSet<>();
            for (BigInteger x = net.addr; x.compareTo(net.last()) <= 0; x = x.add(BigInteger.ONE)) {
                out.add(Value.str(format(x, net.bits)));
            }
            return Values.set(out);
        });
        b.add("net.cidr_contains_matches", 2, (a, bu) -> {
            String fn = "net.cidr_contains_matches";
            TreeSet<Value> out = new TreeSet<>();
            List<Value[]> cidrs = matchOperand(fn, a, 0);
            List<Value[]> addrs = matchOperand(fn, a, 1);
            for (Value[] c : cidrs) {
                Net net = parseCidrOrFail(fn, ((Value.Str) c[0]).value());
                for (Value[] x : addrs) {
                    bu.step();
                    if (containsAddrOrCidr(fn, net, ((Value.Str) x[0]).value())) {
                        out.add(Values.arr(List.of(c[1], x[1])));
                    }
                }
            }
            return Values.set(out);
        });
        b.add("net.cidr_merge", 1, (a, bu) -> {
            String fn = "net.cidr_merge";
            List<Net> v4 = new ArrayList<>();
            List<Net> v6 = new ArrayList<>();
            for (Value v : Args.collection(fn, a, 0)) {
                if (!(v instanceof Value.Str s)) {
                    throw Args.typeError(fn, 0, "array or set of strings", a.get(0));
                }
                Net n = parseCidr(s.value());
                if (n == null) {
                    // a bare IPv4 address stands for its classful network; an IPv6 one needs a prefix length
                    if (s.value().indexOf(':') >= 0 && parseIp(s.value()) != null) {
                        throw new BuiltinError("eval_builtin_error: " + fn + ": IPv6 invalid: needs prefix length");
                    }
                    BigInteger[] ip = parseIp(s.value());
                    if (ip == null) {
                        throw new BuiltinError("eval_builtin_error: " + fn + ": IP address or CIDR \"" + s.value()
                                + "\" is invalid");
                    }
                    // Go's net.IP.DefaultMask, as OPA applies it: the address's classful network
                    long first = ip[0].shiftRight(24).longValue();
                    int prefix = first < 128 ? 8 : first < 192 ? 16 : 24;
                    n = parseCidr(format(ip[0], 32) + "/" + prefix);
                }
                (n.bits == 32 ? v4 : v6).add(n);
            }
            TreeSet<Value> out = new TreeSet<>();
            for (List<Net> family : List.of(v4, v6)) {
                for (Net n : merge(family, bu)) {
                    out.add(Value.str(n.text()));
                }
            }
            return Values.set(out);
        });
    }

    private static Net cidrOperand(String fn, List<Value> a, int i) throws RegoException {
        return parseCidrOrFail(fn, Args.str(fn, a, i));
    }

    private static Net parseCidrOrFail(String fn, String s) throws RegoException {
        Net n = parseCidr(s);
        if (n == null) {
            throw new BuiltinError("eval_builtin_error: " + fn + ": invalid CIDR address: " + s);
        }
        return n;
    }

    /** Whether net holds the address, or the whole network, that text names; neither is an error. */
    private static boolean containsAddrOrCidr(String fn, Net net, String text) throws RegoException {
        BigInteger[] ip = parseIp(text);
        if (ip != null) {
            return net.containsAddr(ip[0], ip[1].intValue());
        }
        Net inner = parseCidr(text);
        if (inner == null) {
            throw new BuiltinError("eval_builtin_error: " + fn + ": invalid CIDR address: " + text);
        }
        return net.contains(inner);
    }

    /**
     * The operands of net.cidr_contains_matches as [string, key] pairs: a string is its own key; an
     * array's elements have their index, a set's elements themselves, an object's values their key;
     * an element may also be an array whose first item is the string.
     */
    private static List<Value[]> matchOperand(String fn, List<Value> a, int i) throws RegoException {
        List<Value[]> out = new ArrayList<>();
        String want = "string, or array, set or object of strings or arrays starting with a string";
        switch (a.get(i)) {
            case Value.Str s -> out.add(new Value[] {s, s});
            case Value.Arr arr -> {
                for (int j = 0; j < arr.items().size(); j++) {
                    out.add(new Value[] {matchElement(fn, i, arr.items().get(j)), Value.num(j)});
                }
            }
            case Value.SetV set -> {
                for (Value v : set.items()) {
                    out.add(new Value[] {matchElement(fn, i, v), v});
                }
            }
            case Value.Obj obj -> {
                for (Map.Entry<Value, Value> e : obj.map().entrySet()) {
                    out.add(new Value[] {matchElement(fn, i, e.getValue()), e.getKey()});
                }
            }
            default -> throw Args.typeError(fn, i, want, a.get(i));
        }
        return out;
    }

    private static Value matchElement(String fn, int i, Value v) throws RegoException {
        if (v instanceof Value.Str) {
            return v;
        }
        if (v instanceof Value.Arr arr && !arr.items().isEmpty() && arr.items().get(0) instanceof Value.Str s) {
            return s;
        }
        throw new BuiltinError("eval_builtin_error: " + fn + ": operand " + (i + 1)
                + ": element must be string or non-empty array");
    }

    /** The smallest set of networks covering exactly the addresses of nets (all of one family). */
    private static List<Net> merge(List<Net> nets, Budget bu) throws RegoException {
        List<BigInteger[]> ranges = new ArrayList<>();
        for (Net n : nets) {
            ranges.add(new BigInteger[] {n.addr, n.last()});
        }
        ranges.sort((x, y) -> x[0].compareTo(y[0]));
        List<BigInteger[]> merged = new ArrayList<>();
        for (BigInteger[] r : ranges) {
            BigInteger[] prev = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (prev != null && r[0].compareTo(prev[1].add(BigInteger.ONE)) <= 0) {
                prev[1] = prev[1].max(r[1]);
            } else {
                merged.add(new BigInteger[] {r[0], r[1]});
            }
        }
        List<Net> out = new ArrayList<>();
        int bits = nets.isEmpty() ? 0 : nets.get(0).bits;
        for (BigInteger[] r : merged) {
            BigInteger start = r[0];
            while (start.compareTo(r[1]) <= 0) {
                bu.step();
                // the largest aligned block at start that stays inside the range
                int size = start.signum() == 0 ? bits : start.getLowestSetBit();
                while (size > 0 && start.add(BigInteger.ONE.shiftLeft(size)).subtract(BigInteger.ONE).compareTo(r[1]) > 0) {
                    size--;
                }
                out.add(new Net(start, bits, bits - size));
                start = start.add(BigInteger.ONE.shiftLeft(size));
            }
        }
        return out;
    }

    /** "address/prefix" as Go's net.ParseCIDR reads it, the address masked to the network's; null if invalid. */
    static Net parseCidr(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            return null;
        }
        BigInteger[] ip = parseIpOnly(s.substring(0, slash));
        String len = s.substring(slash + 1);
        if (ip == null || len.isEmpty() || len.length() > 3 || !len.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        int bits = ip[1].intValue();
        int prefix = Integer.parseInt(len);
        if (prefix > bits) {
            return null;
        }
        BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
                .xor(BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE));
        return new Net(ip[0].and(mask), bits, prefix);
    }

    /** An address as [value, bit length]; IPv4-mapped IPv6 addresses count as IPv4, as in Go. */
    static BigInteger[] parseIp(String s) {
        BigInteger[] ip = parseIpOnly(s);
        if (ip != null && ip[1].intValue() == 128 && ip[0].shiftRight(32).equals(BigInteger.valueOf(0xffff))) {
            return new BigInteger[] {ip[0].and(BigInteger.valueOf(0xffffffffL)), BigInteger.valueOf(32)};
        }
        return ip;
    }

    private static BigInteger[] parseIpOnly(String s) {
        if (s.indexOf(':') >= 0) {
            BigInteger v = parseV6(s);
            return v == null ? null : new BigInteger[] {v, BigInteger.valueOf(128)};
        }
        Long v = parseV4(s);
        return v == null ? null : new BigInteger[] {BigInteger.valueOf(v), BigInteger.valueOf(32)};
    }

    private static Long parseV4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')
                    || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int n = Integer.parseInt(p);
            if (n > 255) {
                return null;
            }
            v = v << 8 | n;
        }
        return v;
    }

    private static BigInteger parseV6(String s) {
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        List<Integer> head = groups(gap >= 0 ? s.substring(0, gap) : s);
        List<Integer> tail = gap >= 0 ? groups(s.substring(gap + 2)) : List.of();
        if (head == null || tail == null) {
            return null;
        }
        int n = head.size() + tail.size();
        if (gap >= 0 ? n > 7 : n != 8) {
            return null;
        }
        BigInteger v = BigInteger.ZERO;
        for (int g : head) {
            v = v.shiftLeft(16).or(BigInteger.valueOf(g));
        }
        v = v.shiftLeft(16 * (8 - n));
        for (int g : tail) {
            v = v.shiftLeft(16).or(BigInteger.valueOf(g));
        }
        return v;
    }

    /** 16-bit groups separated by ":", the last possibly a dotted quad (two groups); null if invalid. */
    private static List<Integer> groups(String s) {
        List<Integer> out = new ArrayList<>();
        if (s.isEmpty()) {
            return out;
        }
        String[] parts = s.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && p.indexOf('.') >= 0) {
                Long v4 = parseV4(p);
                if (v4 == null) {
                    return null;
                }
                out.add((int) (v4 >> 16));
                out.add((int) (v4 & 0xffff));
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int g = 0;
            for (char c : p.toCharArray()) {
                int d = Character.digit(c, 16);
                if (d < 0) {
                    return null;
                }
                g = g << 4 | d;
            }
            out.add(g);
        }
        return out;
    }

    /** Go's text for an address: dotted decimal, or RFC 5952 (longest run of two or more zero groups as "::"). */
    static String format(BigInteger addr, int bits) {
        long lo = addr.and(BigInteger.valueOf(0xffffffffL)).longValue();
        if (bits == 32 || addr.shiftRight(32).equals(BigInteger.valueOf(0xffff))) {
            return (lo >> 24 & 255) + "." + (lo >> 16 & 255) + "." + (lo >> 8 & 255) + "." + (lo & 255);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = addr.shiftRight(16 * (7 - i)).intValue() & 0xffff;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
