package org.cvmagent.attestation.tdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.cvmagent.attestation.aael.AaelSource;
import org.cvmagent.attestation.aael.EvidenceEventLog;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.SharedTestData;
import org.cvmagent.attestation.tsm.FakeTsmKernel;
import org.cvmagent.attestation.tsm.KernelConfigfsTsm;
import org.cvmagent.attestation.tsm.TsmReport;
import org.cvmagent.attestation.tsm.TsmReportException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TdxAttesterTest {
    /** Where report_data sits in a v4 quote: after the 48-byte header, 520 bytes into the TD report. */
    private static final int REPORT_DATA_OFFSET = 48 + 520;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A TDX module stand-in: the real v4 sample quote with the requested report data in it. */
    private static byte[] quoteFor(byte[] inblob) {
        try {
            byte[] quote = Files.readAllBytes(SharedTestData.attestation("tdx/tdx_quote_4.dat"));
            System.arraycopy(inblob, 0, quote, REPORT_DATA_OFFSET, 64);
            return quote;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private TdxAttester attester(FakeTsmKernel kernel) throws IOException {
        Path ccel = dir.resolve("CCEL");
        Files.copy(SharedTestData.attestation("ccel/CCEL_data"), ccel);
        return new TdxAttester(new TsmReport(kernel), ccel, new SysfsTdxRegisters(dir.resolve("measurements")),
                AaelSource.NONE);
    }

    @Test
    void evidenceIsAQuoteForTheReportDataWithTheEventLog() throws Exception {
        FakeTsmKernel kernel = new FakeTsmKernel("tdx_guest", TdxAttesterTest::quoteFor, null);
        TdxAttester tdx = attester(kernel);
        assertTrue(tdx.detect());
        byte[] reportData = new byte[48];
        Arrays.fill(reportData, (byte) 0x5a);
        JsonNode evidence = JSON.readTree(tdx.evidence(reportData));
        TdxQuote quote = new TdxQuoteParser().parse(Base64.getDecoder().decode(evidence.get("quote").asText()));
        assertArrayEquals(Arrays.copyOf(reportData, 64), quote.body().reportData());
        // as guest-components sends it: the CCEL cut at its terminator, then an all-ones end mark
        byte[] ccel = Files.readAllBytes(SharedTestData.attestation("ccel/CCEL_data"));
        assertArrayEquals(EvidenceEventLog.assemble(java.util.Optional.of(ccel), new byte[0]).orElseThrow(),
                Base64.getDecoder().decode(evidence.get("cc_eventlog").asText()));
        assertEquals(0, kernel.openRequests(), "every report request is removed");
        assertEquals(2, kernel.removedRequests(), "the detect probe and the report");
    }

    @Test
    void aQuoteForOtherReportDataOrARacingWriterIsRefused() throws Exception {
        byte[] stale = quoteFor(new byte[64]);
        TdxAttester wrongAnswer = attester(new FakeTsmKernel("tdx_guest", in -> stale, null));
        AttesterException e = assertThrows(AttesterException.class,
                () -> wrongAnswer.evidence(new byte[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("not the requested"), e.getMessage());

        FakeTsmKernel racing = new FakeTsmKernel("tdx_guest", TdxAttesterTest::quoteFor, null);
        racing.interferingWriter(true);
        Files.delete(dir.resolve("CCEL"));
        AttesterException race = assertThrows(AttesterException.class, () -> attester(racing).evidence(new byte[8]));
        assertTrue(race.getCause() instanceof TsmReportException);
        assertTrue(race.getMessage().contains("written 2 times"), race.getMessage());
        assertEquals(0, racing.openRequests());
    }

    @Test
    void anotherTeeOrNoTsmIsAClearError() throws Exception {
        TdxAttester snp = attester(new FakeTsmKernel("sev_guest", TdxAttesterTest::quoteFor, null));
        assertFalse(snp.detect());
        assertTrue(assertThrows(AttesterException.class, () -> snp.evidence(new byte[8])).getMessage()
                .contains("provider is sev_guest, wanted tdx_guest"));
        TdxAttester none = new TdxAttester(new TsmReport(new KernelConfigfsTsm(dir.resolve("no-tsm"))),
                dir.resolve("no-ccel"), new SysfsTdxRegisters(dir.resolve("no-measurements")), AaelSource.NONE);
        assertFalse(none.detect());
        assertTrue(assertThrows(AttesterException.class, () -> none.evidence(new byte[8])).getMessage()
                .contains("does not exist"));
        assertThrows(AttesterException.class, () -> none.evidence(new byte[65]));
        assertEquals(org.cvmagent.attestation.attester.TeeType.TDX, none.tee());
    }

    @Test
    void rtmrExtendAndInitDataThroughSysfsMeasurements() throws Exception {
        Path m = Files.createDirectories(dir.resolve("measurements"));
        for (int i = 0; i < 4; i++) {
            Files.write(m.resolve("rtmr" + i + ":sha384"), new byte[48]);
        }
        byte[] initData = new byte[32];
        Arrays.fill(initData, (byte) 7);
        Files.write(m.resolve("mrconfigid"), Arrays.copyOf(initData, 48));
        TdxAttester tdx = new TdxAttester(new TsmReport(new KernelConfigfsTsm(dir.resolve("no-tsm"))),
                dir.resolve("no-ccel"), new SysfsTdxRegisters(m), AaelSource.NONE);
        byte[] digest = new byte[32];
        Arrays.fill(digest, (byte) 0x11);
        tdx.extendRuntimeMeasurement(digest, 17);
        assertArrayEquals(Arrays.copyOf(digest, 48), Files.readAllBytes(m.resolve("rtmr3:sha384")));
        assertEquals(0, TdxAttester.rtmrIndex(1));
        assertEquals(1, TdxAttester.rtmrIndex(4));
        assertEquals(2, TdxAttester.rtmrIndex(8));
        assertTrue(tdx.initDataMatches(initData));
        initData[0] = 8;
        assertFalse(tdx.initDataMatches(initData));
        Files.delete(m.resolve("rtmr3:sha384"));
        assertThrows(IOException.class, () -> tdx.extendRuntimeMeasurement(digest, 17));
    }

    @Test
    void evidenceCarriesTheRuntimeEventLogAfterTheCcel() throws Exception {
        org.cvmagent.attestation.aael.FakeRtmrs rtmrs = new org.cvmagent.attestation.aael.FakeRtmrs();
        org.cvmagent.attestation.aael.AaelStore store = org.cvmagent.attestation.aael.AaelStore.open(
                dir.resolve("aa/eventlog"));
        org.cvmagent.attestation.aael.RuntimeEventLog.open(rtmrs, store, dir.resolve("aa/.wal"), 17)
                .extend(new org.cvmagent.attestation.aael.AaelEvent("github.com/confidential-containers",
                        "PullImage", "{\"image\":\"busybox\"}"), 17);
        Path ccel = dir.resolve("CCEL");
        Files.copy(SharedTestData.attestation("ccel/CCEL_data"), ccel);
        TdxAttester tdx = new TdxAttester(new TsmReport(new FakeTsmKernel("tdx_guest", TdxAttesterTest::quoteFor,
                null)), ccel, new SysfsTdxRegisters(dir.resolve("measurements")), store);
        JsonNode evidence = JSON.readTree(tdx.evidence(new byte[32]));
        org.cvmagent.attestation.eventlog.CcEventLog log = org.cvmagent.attestation.eventlog.CcEventLog.parse(
                Base64.getDecoder().decode(evidence.get("cc_eventlog").asText()));
        assertEquals(org.cvmagent.attestation.eventlog.CcEventLog.parse(Files.readAllBytes(ccel)).entries().size() + 1,
                log.entries().size());
        assertArrayEquals(rtmrs.rtmr(3), log.replay(4, org.cvmagent.attestation.eventlog.TcgAlgorithm.SHA384));
    }

    @Test
    void rtmrsAreReadBackForTheEventLog() throws Exception {
        Path m = Files.createDirectories(dir.resolve("measurements"));
        byte[] value = new byte[48];
        Arrays.fill(value, (byte) 3);
        Files.write(m.resolve("rtmr3:sha384"), value);
        Files.write(m.resolve("rtmr2:sha384"), new byte[47]);
        TdxAttester tdx = new TdxAttester(new TsmReport(new KernelConfigfsTsm(dir.resolve("no-tsm"))),
                dir.resolve("no-ccel"), new SysfsTdxRegisters(m), AaelSource.NONE);
        assertArrayEquals(value, tdx.runtimeMeasurement(17));
        assertEquals(4, tdx.measurementRegister(17));
        assertEquals(1, tdx.measurementRegister(7));
        assertThrows(IOException.class, () -> tdx.runtimeMeasurement(8), "a 47-byte RTMR");
        assertThrows(IOException.class, () -> tdx.runtimeMeasurement(1), "no RTMR0 file");
    }

    /** A quote taken while an event is extended would never replay: the extend waits for the evidence. */
    @Test
    void anExtendWaitsUntilTheQuoteAndLogAreTaken() throws Exception {
        org.cvmagent.attestation.aael.FakeRtmrs rtmrs = new org.cvmagent.attestation.aael.FakeRtmrs();
        org.cvmagent.attestation.aael.AaelStore store = org.cvmagent.attestation.aael.AaelStore.open(
                dir.resolve("aa/eventlog"));
        org.cvmagent.attestation.aael.RuntimeEventLog log = org.cvmagent.attestation.aael.RuntimeEventLog.open(
                rtmrs, store, dir.resolve("aa/.wal"), 17);
        log.extend(new org.cvmagent.attestation.aael.AaelEvent("d", "o", "first"), 17);
        java.util.concurrent.atomic.AtomicReference<Thread> extender =
                new java.util.concurrent.atomic.AtomicReference<>();
        FakeTsmKernel kernel = new FakeTsmKernel("tdx_guest", in -> {
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    log.extend(new org.cvmagent.attestation.aael.AaelEvent("d", "o", "during-quote"), 17);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            extender.set(t);
            try {
                // long enough for an unsynchronised extend to finish while the quote is "made"
                t.join(java.time.Duration.ofMillis(300));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return quoteFor(in);
        }, null);
        Path ccel = dir.resolve("CCEL");
        Files.copy(SharedTestData.attestation("ccel/CCEL_data"), ccel);
        TdxAttester tdx = new TdxAttester(new TsmReport(kernel), ccel, new SysfsTdxRegisters(dir.resolve("m")),
                store);
        JsonNode evidence = JSON.readTree(tdx.evidence(new byte[32]));
        extender.get().join();
        org.cvmagent.attestation.eventlog.CcEventLog inEvidence = org.cvmagent.attestation.eventlog.CcEventLog.parse(
                Base64.getDecoder().decode(evidence.get("cc_eventlog").asText()));
        long runtimeEntries = inEvidence.entries().stream().filter(e -> e.index() == 4).count();
        assertEquals(1, runtimeEntries, "the extend that started during the quote is not in this evidence");
        assertEquals(2, org.cvmagent.attestation.eventlog.CcEventLog.parse(
                EvidenceEventLog.assemble(java.util.Optional.empty(), store.entries()).orElseThrow()).entries().size(),
                "and it did happen afterwards");
    }
}
