package org.cvmagent.attestation.snp;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * An SNP attestation report as the JSON that the {@code sev} crate's serde derive writes and reads
 * ({@code sev::firmware::guest::AttestationReport}, sev 7 as Trustee's SNP verifier uses it; the
 * same field set as sev 6.3 in guest-components' attester): byte arrays as arrays of numbers, the
 * policy / platform-info / key-info bit fields as plain numbers, TCB versions as objects whose
 * {@code fmc} is null before Turin, and version-dependent fields (CPUID identity from v3, mitigation
 * vectors from v5) null when the report predates them.
 *
 * <p>The verifier re-encodes this object to the report bytes to check the VCEK signature, so every
 * field must be decoded exactly as sev decodes it, including which processor generation's TCB
 * layout applies; a report sev could not decode is refused here too.
 */
public final class SnpReportJson {
    private static final int SIZE = 0x4A0;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private SnpReportJson() {
    }

    private enum Generation { LEGACY, TURIN }

    public static ObjectNode of(byte[] report) throws EvidenceFormatException {
        if (report.length != SIZE) {
            throw new EvidenceFormatException("SNP report is " + report.length + " bytes, expected " + SIZE);
        }
        LittleEndianReader r = new LittleEndianReader(report, 0, "SNP report");
        long version = r.u32("version");
        if (version < 2) {
            throw new EvidenceFormatException("SNP report version " + version + " is not supported (2 or later)");
        }
        boolean v2 = version == 2;
        boolean withMitigationVectors = version >= 5;
        Generation generation = generation(report, v2);

        ObjectNode o = JSON.objectNode();
        o.put("version", version);
        o.put("guest_svn", r.u32("guest_svn"));
        o.put("policy", unsigned(r.u64("policy")));
        o.set("family_id", bytes(r.bytes(16, "family_id")));
        o.set("image_id", bytes(r.bytes(16, "image_id")));
        o.put("vmpl", r.u32("vmpl"));
        o.put("sig_algo", r.u32("sig_algo"));
        o.set("current_tcb", tcb(r.bytes(8, "current_tcb"), generation));
        o.put("plat_info", unsigned(r.u64("plat_info")));
        o.put("key_info", r.u32("key_info"));
        r.bytes(4, "reserved");
        o.set("report_data", bytes(r.bytes(64, "report_data")));
        o.set("measurement", bytes(r.bytes(48, "measurement")));
        o.set("host_data", bytes(r.bytes(32, "host_data")));
        o.set("id_key_digest", bytes(r.bytes(48, "id_key_digest")));
        o.set("author_key_digest", bytes(r.bytes(48, "author_key_digest")));
        o.set("report_id", bytes(r.bytes(32, "report_id")));
        o.set("report_id_ma", bytes(r.bytes(32, "report_id_ma")));
        o.set("reported_tcb", tcb(r.bytes(8, "reported_tcb"), generation));
        if (v2) {
            o.putNull("cpuid_fam_id");
            o.putNull("cpuid_mod_id");
            o.putNull("cpuid_step");
            r.bytes(24, "reserved");
        } else {
            o.put("cpuid_fam_id", r.u8("cpuid_fam_id"));
            o.put("cpuid_mod_id", r.u8("cpuid_mod_id"));
            o.put("cpuid_step", r.u8("cpuid_step"));
            r.bytes(21, "reserved");
        }
        o.set("chip_id", bytes(r.bytes(64, "chip_id")));
        o.set("committed_tcb", tcb(r.bytes(8, "committed_tcb"), generation));
        o.set("current", version(r.bytes(3, "current")));
        r.bytes(1, "reserved");
        o.set("committed", version(r.bytes(3, "committed")));
        r.bytes(1, "reserved");
        o.set("launch_tcb", tcb(r.bytes(8, "launch_tcb"), generation));
        if (withMitigationVectors) {
            o.put("launch_mit_vector", unsigned(r.u64("launch_mit_vector")));
            o.put("current_mit_vector", unsigned(r.u64("current_mit_vector")));
        } else {
            o.putNull("launch_mit_vector");
            o.putNull("current_mit_vector");
        }
        r.seek(0x2A0);
        ObjectNode signature = JSON.objectNode();
        signature.set("r", bytes(r.bytes(72, "signature r")));
        signature.set("s", bytes(r.bytes(72, "signature s")));
        o.set("signature", signature);
        return o;
    }

    /**
     * sev's rule: a v2 report tells Turin by its CHIP_ID (only the first 8 bytes set), and a masked
     * (all-zero) CHIP_ID leaves it undecidable; v3+ reports carry the CPUID family and model.
     */
    private static Generation generation(byte[] report, boolean v2) throws EvidenceFormatException {
        if (v2) {
            byte[] chipId = Arrays.copyOfRange(report, 0x1A0, 0x1E0);
            if (Arrays.equals(chipId, new byte[64])) {
                throw new EvidenceFormatException("SNP report v2 with a masked CHIP_ID: the processor generation "
                        + "(and so the TCB layout) cannot be told");
            }
            return Arrays.equals(Arrays.copyOfRange(chipId, 8, 64), new byte[56]) ? Generation.TURIN
                    : Generation.LEGACY;
        }
        int family = report[0x188] & 0xff;
        int model = report[0x189] & 0xff;
        if (family == 0x19 && (model <= 0x1F || (model >= 0xA0 && model <= 0xAF))) {
            return Generation.LEGACY;   // Milan (0x00-0x0F), Genoa (0x10-0x1F, 0xA0-0xAF)
        }
        if (family == 0x1A && model <= 0x11) {
            return Generation.TURIN;
        }
        throw new EvidenceFormatException("SNP report: CPUID family 0x" + Integer.toHexString(family) + " model 0x"
                + Integer.toHexString(model) + " is not a known SEV-SNP processor");
    }

    /**
     * TCB_VERSION: Milan/Genoa {bootloader, tee, 4 reserved, snp, microcode}; Turin {fmc, bootloader,
     * tee, snp, 3 reserved, microcode}.
     */
    private static ObjectNode tcb(byte[] b, Generation generation) {
        ObjectNode t = JSON.objectNode();
        if (generation == Generation.TURIN) {
            t.put("fmc", b[0] & 0xff);
            t.put("bootloader", b[1] & 0xff);
            t.put("tee", b[2] & 0xff);
            t.put("snp", b[3] & 0xff);
        } else {
            t.putNull("fmc");
            t.put("bootloader", b[0] & 0xff);
            t.put("tee", b[1] & 0xff);
            t.put("snp", b[6] & 0xff);
        }
        t.put("microcode", b[7] & 0xff);
        return t;
    }

    /** The firmware writes build, minor, major. */
    private static ObjectNode version(byte[] b) {
        ObjectNode v = JSON.objectNode();
        v.put("major", b[2] & 0xff);
        v.put("minor", b[1] & 0xff);
        v.put("build", b[0] & 0xff);
        return v;
    }

    static ArrayNode bytes(byte[] data) {
        ArrayNode a = JSON.arrayNode(data.length);
        for (byte b : data) {
            a.add(b & 0xff);
        }
        return a;
    }

    private static java.math.BigInteger unsigned(long value) {
        return new java.math.BigInteger(Long.toUnsignedString(value));
    }
}
