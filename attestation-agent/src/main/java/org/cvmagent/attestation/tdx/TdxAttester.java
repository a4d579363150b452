package org.cvmagent.attestation.tdx;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.OptionalInt;
import java.util.Optional;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.aael.AaelSource;
import org.cvmagent.attestation.aael.EvidenceEventLog;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.attester.TeeMeasurements;
import org.cvmagent.attestation.attester.TeeType;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;
import org.cvmagent.attestation.tsm.TsmOutput;
import org.cvmagent.attestation.tsm.TsmReport;
import org.cvmagent.attestation.tsm.TsmReportException;

/**
 * Intel TDX evidence: a quote for the report data from configfs-tsm, with the CC event log from the
 * CCEL ACPI table followed by the AAEL runtime entries, as
 * {@code {"cc_eventlog": base64, "quote": base64}} — the shape Trustee's TDX verifier reads and
 * replays against RTMR0-3. Runtime measurements extend RTMRs and init-data is checked against
 * MRCONFIGID through {@link TdxRegisters} (sysfs on Linux 6.16+, else /dev/tdx_guest). The quote
 * itself only comes from configfs-tsm: mainline Linux has no quote ioctl (TDX_CMD_GET_REPORT0 gives
 * a TDREPORT, which only this host's TDX module can check, so no verifier accepts it).
 */
public final class TdxAttester implements Attester, TeeMeasurements, InitDataBinding {
    public static final String TSM_PROVIDER = "tdx_guest";
    public static final Path DEFAULT_CCEL = Path.of("/sys/firmware/acpi/tables/data/CCEL");
    private static final int REPORT_DATA_SIZE = 64;
    private static final int REGISTER_SIZE = 48;

    private final TsmReport tsm;
    private final Path ccel;
    private final TdxRegisters registers;
    private final AaelSource aael;
    private final TdxQuoteParser parser = new TdxQuoteParser();

    /**
     * @param registers the RTMRs and MRCONFIGID, through sysfs or /dev/tdx_guest
     * @param aael the runtime event log entries to append to the CCEL in evidence; AaelSource.NONE
     *             when no event log is kept
     */
    public TdxAttester(TsmReport tsm, Path ccel, TdxRegisters registers, AaelSource aael) {
        this.tsm = tsm;
        this.ccel = ccel;
        this.registers = registers;
        this.aael = aael;
    }

    public boolean detect() {
        return tsm.provides(TSM_PROVIDER);
    }

    @Override
    public TeeType tee() {
        return TeeType.TDX;
    }

    /** Evidence JSON for report data of at most 64 bytes (zero-padded, as the TDX report data field is). */
    @Override
    public String evidence(byte[] reportData) throws AttesterException {
        if (reportData.length > REPORT_DATA_SIZE) {
            throw new AttesterException("TDX report data is at most " + REPORT_DATA_SIZE + " bytes, got "
                    + reportData.length);
        }
        // quote and runtime log from the same moment: no extend may fall between them
        return aael.stable(() -> {
            try {
                return quoteEvidence(reportData);
            } catch (TsmReportException | EvidenceFormatException e) {
                throw new AttesterException("TDX evidence: " + e.getMessage(), e);
            }
        });
    }

    private String quoteEvidence(byte[] reportData) throws TsmReportException, EvidenceFormatException {
        byte[] padded = Arrays.copyOf(reportData, REPORT_DATA_SIZE);
        TsmOutput out = tsm.generate(TSM_PROVIDER, padded, OptionalInt.empty());
        TdxQuote quote = parser.parse(out.outblob());
        if (!MessageDigest.isEqual(quote.body().reportData(), padded)) {
            throw new EvidenceFormatException("TDX quote from configfs-tsm carries report data "
                    + HexFormat.of().formatHex(quote.body().reportData()) + ", not the requested "
                    + HexFormat.of().formatHex(padded));
        }
        ObjectNode evidence = JsonNodeFactory.instance.objectNode();
        Optional<byte[]> firmwareLog = Optional.empty();
        if (Files.isReadable(ccel)) {
            try {
                firmwareLog = Optional.of(Files.readAllBytes(ccel));
            } catch (IOException e) {
                throw new EvidenceFormatException("cannot read the CC event log " + ccel + ": " + e, e);
            }
        }
        Optional<byte[]> eventLog = EvidenceEventLog.assemble(firmwareLog, aael.entries());
        if (eventLog.isPresent()) {
            evidence.put("cc_eventlog", Base64.getEncoder().encodeToString(eventLog.get()));
        } else {
            evidence.putNull("cc_eventlog");
        }
        evidence.put("quote", Base64.getEncoder().encodeToString(out.outblob()));
        return evidence.toString();
    }

    /**
     * Extends the RTMR a PCR index maps to (1, 7 → RTMR0; 2-6 → RTMR1; 8-15 → RTMR2; others → RTMR3,
     * CoCo's mapping) with a digest of at most 48 bytes, zero-padded.
     */
    @Override
    public void extendRuntimeMeasurement(byte[] digest, long pcrIndex) throws IOException {
        if (digest.length > REGISTER_SIZE) {
            throw new IllegalArgumentException("RTMR extend data is at most " + REGISTER_SIZE + " bytes, got "
                    + digest.length);
        }
        registers.extendRtmr(rtmrIndex(pcrIndex), Arrays.copyOf(digest, REGISTER_SIZE));
    }

    /** The RTMR a PCR index maps to. */
    @Override
    public byte[] runtimeMeasurement(long pcrIndex) throws IOException {
        return registers.rtmr(rtmrIndex(pcrIndex));
    }

    /** The CC measurement register index of the event log (UEFI CC_MR: RTMR n is n + 1). */
    @Override
    public long measurementRegister(long pcrIndex) {
        return rtmrIndex(pcrIndex) + 1L;
    }

    @Override
    public TcgAlgorithm eventLogAlgorithm() {
        return TcgAlgorithm.SHA384;
    }

    /** Whether MRCONFIGID holds the init-data digest (zero-padded, or cut, to 48 bytes as CoCo does). */
    @Override
    public boolean initDataMatches(byte[] initDataDigest) throws IOException {
        return MessageDigest.isEqual(Arrays.copyOf(initDataDigest, REGISTER_SIZE), registers.mrConfigId());
    }

    static int rtmrIndex(long pcrIndex) {
        if (pcrIndex == 1 || pcrIndex == 7) {
            return 0;
        }
        if (pcrIndex >= 2 && pcrIndex <= 6) {
            return 1;
        }
        if (pcrIndex >= 8 && pcrIndex <= 15) {
            return 2;
        }
        return 3;
    }
}
