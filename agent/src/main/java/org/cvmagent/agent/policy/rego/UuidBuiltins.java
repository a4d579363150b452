package org.cvmagent.agent.policy.rego;

import java.util.HexFormat;
import java.util.Locale;
import java.util.TreeMap;

/** uuid.parse: the fields an RFC 4122 / 9562 UUID carries, as OPA reports them. */
final class UuidBuiltins {
    /** 100-ns intervals from the Gregorian reform (1582-10-15) to the Unix epoch: v1/v2/v6 clocks count from it. */
    private static final long GREGORIAN_TO_UNIX = 122_192_928_000_000_000L;

    private UuidBuiltins() {
    }

    static void register(Builtins b) {
        b.add("uuid.parse", 1, (a, bu) -> {
            byte[] u = bytes(Args.str("uuid.parse", a, 0));
            // a string that is not a UUID has no fields: undefined, as in OPA
            return u == null ? null : fields(u);
        });
    }

    /** The 16 bytes of the canonical, braced, urn: or undashed forms; null when malformed. */
    private static byte[] bytes(String raw) {
        String s = raw;
        if (s.toLowerCase(Locale.ROOT).startsWith("urn:uuid:")) {
            s = s.substring(9);
        } else if (s.length() == 38 && s.startsWith("{") && s.endsWith("}")) {
            s = s.substring(1, 37);
        }
        if (s.length() == 36) {
            if (s.charAt(8) != '-' || s.charAt(13) != '-' || s.charAt(18) != '-' || s.charAt(23) != '-') {
                return null;
            }
            s = s.replace("-", "");
        }
        if (s.length() != 32 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return null;
        }
        return HexFormat.of().parseHex(s);
    }

    private static long be(byte[] u, int from, int len) {
        long v = 0;
        for (int i = from; i < from + len; i++) {
            v = (v << 8) | (u[i] & 0xff);
        }
        return v;
    }

    private static Value fields(byte[] u) {
        int version = (u[6] & 0xff) >> 4;
        TreeMap<Value, Value> out = new TreeMap<>();
        out.put(Value.str("version"), Value.num(version));
        out.put(Value.str("variant"), Value.str(variant(u[8] & 0xff)));
        if (version == 1 || version == 2) {
            long ts = be(u, 0, 4) | be(u, 4, 2) << 32 | (be(u, 6, 2) & 0xfff) << 48;
            out.put(Value.str("time"), Value.num((ts - GREGORIAN_TO_UNIX) * 100));
            out.put(Value.str("clocksequence"), Value.num(be(u, 8, 2) & 0x3fff));
            StringBuilder node = new StringBuilder();
            for (int i = 10; i < 16; i++) {
                node.append(i > 10 ? "-" : "").append(HexFormat.of().toHexDigits(u[i]));
            }
            out.put(Value.str("nodeid"), Value.str(node.toString()));
            // the first node byte's two low bits: universally/locally administered, unicast/multicast
            out.put(Value.str("macvariables"), Value.str(((u[10] & 2) != 0 ? "local" : "global") + ":"
                    + ((u[10] & 1) != 0 ? "multicast" : "unicast")));
            if (version == 2) {
                out.put(Value.str("id"), Value.num(be(u, 0, 4)));
                out.put(Value.str("domain"), Value.str(switch (u[9] & 0xff) {
                    case 0 -> "Person";
                    case 1 -> "Group";
                    case 2 -> "Org";
                    default -> "Domain" + (u[9] & 0xff);
                }));
            }
        } else if (version == 6) {
            long ts = be(u, 0, 4) << 28 | be(u, 4, 2) << 12 | (be(u, 6, 2) & 0xfff);
            out.put(Value.str("time"), Value.num((ts - GREGORIAN_TO_UNIX) * 100));
        } else if (version == 7) {
            out.put(Value.str("time"), Value.num(be(u, 0, 6) * 1_000_000));
        }
        return Values.obj(out);
    }

    private static String variant(int b8) {
        if ((b8 & 0x80) == 0) {
            return "Reserved, NCS backward compatibility";
        }
        if ((b8 & 0xc0) == 0x80) {
            return "RFC4122";
        }
        return (b8 & 0xe0) == 0xc0 ? "Reserved, Microsoft Corporation backward compatibility" : "Reserved, future definition";
    }
}
