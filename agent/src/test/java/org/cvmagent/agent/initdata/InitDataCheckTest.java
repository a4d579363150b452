package org.cvmagent.agent.initdata;

import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.config.HostInputs;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.config.StartConfig;
import org.cvmagent.agent.config.TrustMode;
import org.cvmagent.agent.tee.DetectedTee;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.snp.SnpRawReport;
import org.cvmagent.attestation.snp.SnpReportSource;
import org.cvmagent.attestation.tdx.TdxQuoteParser;
import org.cvmagent.attestation.tdx.TdxRegisters;
import org.cvmagent.attestation.tsm.KernelConfigfsTsm;
import org.cvmagent.attestation.tsm.TsmReport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Init-data against the TEE's launch field, with the fields of recorded evidence (a TDX v4 quote's
 * MRCONFIGID and an SNP report's HOST_DATA, both zero: launched without init-data) and with fields
 * holding a document's digest, as its owner's launch would set them.
 */
class InitDataCheckTest {

    private static final Path TESTDATA = Path.of("/work/shared/testdata/attestation");
    static final String DOCUMENT = """
            algorithm = "sha384"
            version = "0.1.0"

            [data]
            "policy.rego" = '''
            package agent_policy
            default ExecProcessRequest := false
            '''
            """;

    private static final StartConfig CONFIDENTIAL = start(TrustMode.CONFIDENTIAL, false);

    static StartConfig start(TrustMode mode, boolean testImage) {
        return new StartConfig(AgentConfig.defaults(), mode, testImage, new HostInputs(KernelCmdline.parse(""), Map.of()));
    }

    private static MeasuredInitData initData(String toml) {
        return MeasuredInitData.of(toml.getBytes(StandardCharsets.UTF_8), "test");
    }

    private static DetectedTee tdx(byte[] mrConfigId) {
        TdxRegisters registers = new TdxRegisters() {
            @Override
            public byte[] rtmr(int index) {
                return new byte[48];
            }

            @Override
            public void extendRtmr(int index, byte[] data) {
                throw new UnsupportedOperationException();
            }

            @Override
            public byte[] mrConfigId() {
                return mrConfigId.clone();
            }
        };
        return new DetectedTee.Tdx(new TsmReport(new KernelConfigfsTsm(Path.of("/nonexistent"))), registers);
    }

    private static DetectedTee snp(byte[] report) {
        return new DetectedTee.Snp(new SnpReportSource() {
            @Override
            public boolean available() {
                return true;
            }

            @Override
            public SnpRawReport report(byte[] reportData) throws AttesterException {
                byte[] copy = report.clone();
                System.arraycopy(reportData, 0, copy, 0x50, 64);
                return new SnpRawReport(copy, Optional.empty());
            }
        });
    }

    private static byte[] recordedMrConfigId() throws Exception {
        return new TdxQuoteParser().parse(Files.readAllBytes(TESTDATA.resolve("tdx/tdx_quote_4.dat"))).body().mrConfigId();
    }

    private static byte[] recordedSnpReport() throws Exception {
        return Files.readAllBytes(TESTDATA.resolve("snp/test-report.bin"));
    }

    @Test
    void recordedEvidenceLaunchedWithoutInitDataAcceptsNoneAndRefusesAnyGiven() throws Exception {
        for (DetectedTee tee : new DetectedTee[] {tdx(recordedMrConfigId()), snp(recordedSnpReport())}) {
            assertTrue(InitDataCheck.verify(CONFIDENTIAL, Optional.of(tee), Optional.empty()).contains("launch field is zero"));
            // The host hands the guest init-data the TEE was not launched with.
            InitDataRejectedException e = assertThrows(InitDataRejectedException.class,
                    () -> InitDataCheck.verify(CONFIDENTIAL, Optional.of(tee), Optional.of(initData(DOCUMENT))));
            assertTrue(e.getMessage().contains("does not match the " + tee.name()), e.getMessage());
        }
    }

    @Test
    void aLaunchFieldHoldingTheDigestAcceptsExactlyThatDocument() throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-384").digest(DOCUMENT.getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(digest, initData(DOCUMENT).digest());
        byte[] snpReport = recordedSnpReport();
        System.arraycopy(digest, 0, snpReport, 0xC0, 32); // HOST_DATA: the digest cut to 32 bytes
        for (DetectedTee tee : new DetectedTee[] {tdx(digest), snp(snpReport)}) {
            assertTrue(InitDataCheck.verify(CONFIDENTIAL, Optional.of(tee), Optional.of(initData(DOCUMENT)))
                    .contains("verified"));
            // The owner's init-data withheld: the field says there was some.
            assertThrows(InitDataRejectedException.class,
                    () -> InitDataCheck.verify(CONFIDENTIAL, Optional.of(tee), Optional.empty()));
            // Another document, even one differing only by a newline at the end, is refused.
            assertThrows(InitDataRejectedException.class,
                    () -> InitDataCheck.verify(CONFIDENTIAL, Optional.of(tee), Optional.of(initData(DOCUMENT + "\n"))));
        }
    }

    @Test
    void theExactBytesAreMeasuredTrailingNewlineIncluded() throws Exception {
        // The review found plain TOML strip()ped before hashing: a document ending in a newline
        // (as every editor writes it) could never match what its owner measured.
        String withNewline = DOCUMENT + "\n";
        byte[] digest = MessageDigest.getInstance("SHA-384").digest(withNewline.getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(digest, initData(withNewline).digest());
        assertTrue(InitDataCheck.verify(CONFIDENTIAL, Optional.of(tdx(digest)), Optional.of(initData(withNewline)))
                .contains("verified"));
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(DOCUMENT.replace("sha384", "sha256")
                .getBytes(StandardCharsets.UTF_8));
        assertTrue(InitDataCheck.verify(CONFIDENTIAL, Optional.of(tdx(Arrays.copyOf(sha256, 48))),
                Optional.of(initData(DOCUMENT.replace("sha384", "sha256")))).contains("verified"), "sha256 padded to 48");
    }

    @Test
    void aConfidentialImageWithoutATeeRefusesUnlessItIsATestImage() throws Exception {
        InitDataRejectedException e = assertThrows(InitDataRejectedException.class,
                () -> InitDataCheck.verify(CONFIDENTIAL, Optional.empty(), Optional.empty()));
        assertTrue(e.getMessage().contains("without a TEE"), e.getMessage());
        assertTrue(InitDataCheck.verify(start(TrustMode.CONFIDENTIAL, true), Optional.empty(),
                Optional.of(initData(DOCUMENT))).contains("NOT verified (a test image without a TEE)"));
        assertTrue(InitDataCheck.verify(start(TrustMode.DEVELOPMENT, false), Optional.empty(), Optional.empty())
                .contains("development mode"));
    }

    @Test
    void formatRulesAreKatas() {
        assertThrows(IllegalArgumentException.class, () -> initData(DOCUMENT.replace("0.1.0", "0.2.0")));
        assertThrows(IllegalArgumentException.class, () -> initData(DOCUMENT.replace("sha384", "md5")));
        assertThrows(IllegalArgumentException.class, () -> MeasuredInitData.of(new byte[] {(byte) 0xff, 0x41}, "test"));
    }
}
