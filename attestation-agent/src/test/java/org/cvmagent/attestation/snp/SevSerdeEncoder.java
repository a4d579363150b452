package org.cvmagent.attestation.snp;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The verifier's side, for round-trip tests: the sev crate's {@code Encoder for AttestationReport}
 * turns the serde object back into report bytes (reserved fields zero) before checking the VCEK
 * signature; written here from that encoder so that a field decoded wrongly shows up as changed
 * signed bytes.
 */
final class SevSerdeEncoder {
    private SevSerdeEncoder() {
    }

    static byte[] encode(JsonNode r) {
        ByteBuffer b = ByteBuffer.allocate(0x4A0).order(ByteOrder.LITTLE_ENDIAN);
        long version = r.get("version").asLong();
        boolean v2 = version == 2;
        boolean v5 = version >= 5;
        boolean turin = !r.get("current_tcb").get("fmc").isNull();
        b.putInt((int) version);
        b.putInt(r.get("guest_svn").asInt());
        b.putLong(r.get("policy").bigIntegerValue().longValue());
        bytes(b, r.get("family_id"));
        bytes(b, r.get("image_id"));
        b.putInt(r.get("vmpl").asInt());
        b.putInt(r.get("sig_algo").asInt());
        tcb(b, r.get("current_tcb"), turin);
        b.putLong(r.get("plat_info").bigIntegerValue().longValue());
        b.putInt(r.get("key_info").asInt());
        b.position(b.position() + 4);
        for (String f : new String[] {"report_data", "measurement", "host_data", "id_key_digest", "author_key_digest",
                "report_id", "report_id_ma"}) {
            bytes(b, r.get(f));
        }
        tcb(b, r.get("reported_tcb"), turin);
        if (v2) {
            b.position(b.position() + 24);
        } else {
            b.put((byte) r.get("cpuid_fam_id").asInt()).put((byte) r.get("cpuid_mod_id").asInt())
                    .put((byte) r.get("cpuid_step").asInt());
            b.position(b.position() + 21);
        }
        bytes(b, r.get("chip_id"));
        tcb(b, r.get("committed_tcb"), turin);
        version(b, r.get("current"));
        b.position(b.position() + 1);
        version(b, r.get("committed"));
        b.position(b.position() + 1);
        tcb(b, r.get("launch_tcb"), turin);
        if (v5) {
            b.putLong(r.get("launch_mit_vector").bigIntegerValue().longValue());
            b.putLong(r.get("current_mit_vector").bigIntegerValue().longValue());
        }
        b.position(0x2A0);
        bytes(b, r.get("signature").get("r"));
        bytes(b, r.get("signature").get("s"));
        return b.array();
    }

    private static void tcb(ByteBuffer b, JsonNode t, boolean turin) {
        if (turin) {
            b.put((byte) t.get("fmc").asInt()).put((byte) t.get("bootloader").asInt()).put((byte) t.get("tee").asInt())
                    .put((byte) t.get("snp").asInt()).put(new byte[3]).put((byte) t.get("microcode").asInt());
        } else {
            b.put((byte) t.get("bootloader").asInt()).put((byte) t.get("tee").asInt()).put(new byte[4])
                    .put((byte) t.get("snp").asInt()).put((byte) t.get("microcode").asInt());
        }
    }

    private static void version(ByteBuffer b, JsonNode v) {
        b.put((byte) v.get("build").asInt()).put((byte) v.get("minor").asInt()).put((byte) v.get("major").asInt());
    }

    private static void bytes(ByteBuffer b, JsonNode array) {
        for (JsonNode n : array) {
            b.put((byte) n.asInt());
        }
    }
}
