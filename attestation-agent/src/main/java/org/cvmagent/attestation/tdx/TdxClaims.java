package org.cvmagent.attestation.tdx;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;
import java.util.Optional;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.eventlog.CcEventLog;
import org.cvmagent.attestation.eventlog.EventLogClaims;

/**
 * The claims Trustee's TDX verifier derives from a quote (and the CC event log when there is one):
 * hex fields of header and body, the decoded TD attributes, report data, init data (MRCONFIGID),
 * the platform instance id from the PCK certificate. What {@code cvm-agent-ctl attest show} prints,
 * and what a relying party sees.
 */
public final class TdxClaims {
    private static final HexFormat HEX = HexFormat.of();

    private TdxClaims() {
    }

    public static ObjectNode of(TdxQuote quote, Optional<CcEventLog> eventLog) throws EvidenceFormatException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode claims = f.objectNode();
        TdReport b = quote.body();
        claims.put("init_data", HEX.formatHex(b.mrConfigId()));
        ObjectNode q = claims.putObject("quote");
        ObjectNode body = q.putObject("body");
        body.put("tcb_svn", HEX.formatHex(b.tcbSvn()));
        body.put("mr_seam", HEX.formatHex(b.mrSeam()));
        body.put("mrsigner_seam", HEX.formatHex(b.mrSignerSeam()));
        body.put("seam_attributes", HEX.formatHex(b.seamAttributes()));
        body.put("td_attributes", HEX.formatHex(b.tdAttributes()));
        body.put("xfam", HEX.formatHex(b.xfam()));
        body.put("mr_td", HEX.formatHex(b.mrTd()));
        body.put("mr_config_id", HEX.formatHex(b.mrConfigId()));
        body.put("mr_owner", HEX.formatHex(b.mrOwner()));
        body.put("mr_owner_config", HEX.formatHex(b.mrOwnerConfig()));
        for (int i = 0; i < 4; i++) {
            body.put("rtmr_" + i, HEX.formatHex(b.rtmr(i)));
        }
        body.put("report_data", HEX.formatHex(b.reportData()));
        b.teeTcbSvn2().ifPresent(v -> body.put("tee_tcb_svn2", HEX.formatHex(v)));
        b.mrServiceTd().ifPresent(v -> body.put("mr_servicetd", HEX.formatHex(v)));
        QuoteHeader h = quote.header();
        ObjectNode header = q.putObject("header");
        header.put("version", HEX.formatHex(new byte[] {(byte) h.version(), 0}));
        header.put("att_key_type", HEX.formatHex(h.attKeyType()));
        header.put("tee_type", HEX.formatHex(h.teeType()));
        header.put("reserved", HEX.formatHex(h.reserved()));
        header.put("vendor_id", HEX.formatHex(h.vendorId()));
        header.put("user_data", HEX.formatHex(h.userData()));
        quote.v5BodyType().ifPresent(t -> q.put("type", HEX.formatHex(new byte[] {(byte) t.intValue(), 0})));
        quote.v5BodySize().ifPresent(s -> q.put("size", HEX.formatHex(new byte[] {
            (byte) (s & 0xff), (byte) (s >> 8 & 0xff), (byte) (s >> 16 & 0xff), (byte) (s >> 24 & 0xff)})));
        claims.put("report_data", HEX.formatHex(b.reportData()));
        ObjectNode attrs = claims.putObject("td_attributes");
        TdAttributes.of(b.tdAttributes()).forEach(attrs::put);
        if (eventLog.isPresent()) {
            claims.set("uefi_event_logs", EventLogClaims.toJson(eventLog.get()));
        }
        if (!quote.signature().pckCertificateChainPem().isEmpty()) {
            Optional<byte[]> piid = PckCertificate.fromPem(quote.signature().pckCertificateChainPem().get(0))
                    .platformInstanceId();
            // Trustee reports the id byte-reversed (read as a little-endian number); relying parties
            // compare against that form
            piid.ifPresent(v -> claims.put("platform_instance_id", HEX.formatHex(reversed(v))));
        }
        return claims;
    }

    private static byte[] reversed(byte[] v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[v.length - 1 - i];
        }
        return out;
    }
}
