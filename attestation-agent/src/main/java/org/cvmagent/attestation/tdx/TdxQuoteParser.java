package org.cvmagent.attestation.tdx;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/** Reads TDX quotes (Intel DCAP quote format v4 and v5) as the TD's quote generation service returns them. */
public final class TdxQuoteParser {
    private static final int CERT_PCK_CHAIN = 5;
    private static final int CERT_QE_REPORT = 6;
    private static final int QE_REPORT_SIZE = 384;
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+?-----END CERTIFICATE-----");

    public TdxQuote parse(byte[] quote) throws EvidenceFormatException {
        LittleEndianReader r = new LittleEndianReader(quote, 0, "TDX quote");
        QuoteHeader header = header(r);
        Optional<Integer> bodyType = Optional.empty();
        Optional<Long> bodySize = Optional.empty();
        boolean tdx15 = false;
        if (header.version() == 5) {
            int type = r.u16("v5 body type");
            long size = r.u32("v5 body size");
            if (type == 2 && size == TdReport.SIZE_TDX10) {
                tdx15 = false;
            } else if (type == 3 && size == TdReport.SIZE_TDX15) {
                tdx15 = true;
            } else {
                throw new EvidenceFormatException("TDX quote v5: body type " + type + " of " + size
                        + " bytes is not a TD report (2/584 or 3/648)");
            }
            bodyType = Optional.of(type);
            bodySize = Optional.of(size);
        }
        TdReport body = body(r, tdx15);
        int sigLength = r.length32("signature data length");
        int sigEnd = r.position() + sigLength;
        QuoteSignature signature = signature(r);
        if (r.position() > sigEnd) {
            throw new EvidenceFormatException("TDX quote: signature data overruns its declared " + sigLength + " bytes");
        }
        return new TdxQuote(header, bodyType, bodySize, body, signature);
    }

    private static QuoteHeader header(LittleEndianReader r) throws EvidenceFormatException {
        int version = r.u16("version");
        if (version != 4 && version != 5) {
            throw new EvidenceFormatException("TDX quote: version " + version + " (only 4 and 5 are TD quotes)");
        }
        byte[] attKeyType = r.bytes(2, "attestation key type");
        byte[] teeType = r.bytes(4, "TEE type");
        if ((teeType[0] & 0xff) != QuoteHeader.TEE_TYPE_TDX || teeType[1] != 0 || teeType[2] != 0 || teeType[3] != 0) {
            throw new EvidenceFormatException("TDX quote: TEE type 0x" + Integer.toHexString(teeType[0] & 0xff)
                    + " is not TDX (0x81)");
        }
        return new QuoteHeader(version, attKeyType, teeType, r.bytes(4, "reserved"), r.bytes(16, "QE vendor id"),
                r.bytes(20, "user data"));
    }

    private static TdReport body(LittleEndianReader r, boolean tdx15) throws EvidenceFormatException {
        byte[] tcbSvn = r.bytes(16, "tee_tcb_svn");
        byte[] mrSeam = r.bytes(48, "mr_seam");
        byte[] mrSignerSeam = r.bytes(48, "mrsigner_seam");
        byte[] seamAttributes = r.bytes(8, "seam_attributes");
        byte[] tdAttributes = r.bytes(8, "td_attributes");
        byte[] xfam = r.bytes(8, "xfam");
        byte[] mrTd = r.bytes(48, "mr_td");
        byte[] mrConfigId = r.bytes(48, "mr_config_id");
        byte[] mrOwner = r.bytes(48, "mr_owner");
        byte[] mrOwnerConfig = r.bytes(48, "mr_owner_config");
        byte[] rtmr0 = r.bytes(48, "rtmr_0");
        byte[] rtmr1 = r.bytes(48, "rtmr_1");
        byte[] rtmr2 = r.bytes(48, "rtmr_2");
        byte[] rtmr3 = r.bytes(48, "rtmr_3");
        byte[] reportData = r.bytes(64, "report_data");
        Optional<byte[]> svn2 = Optional.empty();
        Optional<byte[]> serviceTd = Optional.empty();
        if (tdx15) {
            svn2 = Optional.of(r.bytes(16, "tee_tcb_svn2"));
            serviceTd = Optional.of(r.bytes(48, "mr_servicetd"));
        }
        return new TdReport(tcbSvn, mrSeam, mrSignerSeam, seamAttributes, tdAttributes, xfam, mrTd, mrConfigId,
                mrOwner, mrOwnerConfig, rtmr0, rtmr1, rtmr2, rtmr3, reportData, svn2, serviceTd);
    }

    private static QuoteSignature signature(LittleEndianReader r) throws EvidenceFormatException {
        byte[] sig = r.bytes(64, "quote signature");
        byte[] key = r.bytes(64, "attestation key");
        int certType = r.u16("certification data type");
        int certSize = r.length32("certification data size");
        if (certType == CERT_QE_REPORT) {
            byte[] qeReport = r.bytes(QE_REPORT_SIZE, "QE report");
            byte[] qeSig = r.bytes(64, "QE report signature");
            int authSize = r.u16("QE authentication data size");
            byte[] auth = r.bytes(authSize, "QE authentication data");
            int innerType = r.u16("QE certification data type");
            int innerSize = r.length32("QE certification data size");
            byte[] inner = r.bytes(innerSize, "QE certification data");
            List<String> chain = innerType == CERT_PCK_CHAIN ? pemChain(inner) : List.of();
            return new QuoteSignature(sig, key, certType, Optional.of(qeReport), Optional.of(qeSig),
                    Optional.of(auth), chain);
        }
        byte[] data = r.bytes(certSize, "certification data");
        return new QuoteSignature(sig, key, certType, Optional.empty(), Optional.empty(), Optional.empty(),
                certType == CERT_PCK_CHAIN ? pemChain(data) : List.of());
    }

    private static List<String> pemChain(byte[] data) {
        List<String> out = new ArrayList<>();
        Matcher m = PEM.matcher(new String(data, StandardCharsets.US_ASCII));
        while (m.find()) {
            out.add(m.group());
        }
        return List.copyOf(out);
    }
}
