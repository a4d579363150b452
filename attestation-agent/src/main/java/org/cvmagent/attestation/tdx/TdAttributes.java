package org.cvmagent.attestation.tdx;

import java.util.LinkedHashMap;
import java.util.Map;

/** The TD attribute bits a relying party looks at (a debug TD must never get production secrets). */
public final class TdAttributes {
    private TdAttributes() {
    }

    /** Flag name (lower case, as Trustee reports them) to whether it is set, from the 8-byte little-endian field. */
    public static Map<String, Boolean> of(byte[] field) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (field[i] & 0xff);
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        out.put("debug", (v & 1L) != 0);
        out.put("septve_disable", (v & 1L << 28) != 0);
        out.put("protection_keys", (v & 1L << 30) != 0);
        out.put("key_locker", (v & 1L << 31) != 0);
        out.put("perfmon", (v & 1L << 63) != 0);
        return out;
    }
}
