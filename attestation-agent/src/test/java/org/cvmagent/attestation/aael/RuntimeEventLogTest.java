package org.cvmagent.attestation.aael;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cvmagent.attestation.SharedTestData;
import org.cvmagent.attestation.eventlog.CcEventLog;
import org.cvmagent.attestation.eventlog.EventLogEntry;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;
import org.cvmagent.attestation.eventlog.TcgEventType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeEventLogTest {
    private static final AaelEvent PULL = new AaelEvent("github.com/confidential-containers", "PullImage",
            "{\"digest\":\"sha256:0c0c\",\"image\":\"alpine\"}");

    @TempDir
    Path dir;
    private FakeRtmrs rtmrs;
    private Path logFile;
    private Path wal;

    @BeforeEach
    void setUp() {
        rtmrs = new FakeRtmrs();
        logFile = dir.resolve("attestation-agent/eventlog");
        wal = dir.resolve("attestation-agent/.wal_event_entry");
    }

    private RuntimeEventLog open(AaelStore store) throws IOException {
        return RuntimeEventLog.open(rtmrs, store, wal, EventLogConfig.DEFAULT_PCR);
    }

    private static byte[] ccel() throws IOException {
        return Files.readAllBytes(SharedTestData.attestation("ccel/CCEL_data"));
    }

    @Test
    void theEvidenceLogReplaysToTheExtendedRegisters() throws Exception {
        AaelStore store = AaelStore.open(logFile);
        RuntimeEventLog log = open(store);
        log.extend(PULL, 17);
        log.extend(new AaelEvent("domain", "operation", "content"), 17);
        log.extend(new AaelEvent("kata", "CreateContainer", "c1"), 8);
        assertEquals(List.of("17->RTMR3", "17->RTMR3", "8->RTMR2"), rtmrs.extendsDone());
        assertFalse(Files.exists(wal), "no write-ahead record once the entry is written");
        assertArrayEquals(store.entries(), Files.readAllBytes(logFile), "memory and file agree");

        byte[] firmwareOnly = EvidenceEventLog.assemble(Optional.of(ccel()), new byte[0]).orElseThrow();
        byte[] evidenceLog = EvidenceEventLog.assemble(Optional.of(ccel()), store.entries()).orElseThrow();
        CcEventLog firmware = CcEventLog.parse(firmwareOnly);
        CcEventLog parsed = CcEventLog.parse(evidenceLog);
        assertEquals(firmware.entries().size() + 3, parsed.entries().size());
        assertArrayEquals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384), "RTMR3 replays");
        // RTMR2 holds only our event (the sample CCEL has none for it), RTMR0 stays the firmware's
        byte[] rtmr2 = parsed.replay(3, TcgAlgorithm.SHA384);
        assertFalse(Arrays.equals(new byte[48], rtmr2));
        assertArrayEquals(firmware.replay(1, TcgAlgorithm.SHA384), parsed.replay(1, TcgAlgorithm.SHA384));
        assertArrayEquals(firmware.replay(3, TcgAlgorithm.SHA384), new byte[48], "sample CCEL leaves RTMR2 alone");
        assertArrayEquals(rtmrs.rtmr(2), rtmr2, "RTMR2 replays");

        EventLogEntry last = parsed.entries().get(parsed.entries().size() - 1);
        assertEquals(TcgEventType.EV_EVENT_TAG, last.type());
        assertTrue(last.digestMatchesEvent(), "the digest is over the tagged event");
        String text = new String(Arrays.copyOfRange(last.data(), 8, last.data().length), StandardCharsets.UTF_8);
        assertEquals("kata CreateContainer c1", text);
    }

    @Test
    void aTamperedEntryNoLongerReplays() throws Exception {
        AaelStore store = AaelStore.open(logFile);
        open(store).extend(PULL, 17);
        byte[] entries = store.entries();
        byte[] tampered = new String(entries, StandardCharsets.ISO_8859_1).replace("alpine", "alpinx")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertFalse(Arrays.equals(entries, tampered));
        // the verifier replays digests: a changed text with its digest recomputed changes RTMR3
        AaelEntry forged = AaelEntry.of(new AaelEvent(PULL.domain(), PULL.operation(),
                PULL.content().replace("alpine", "evil")), 4, TcgAlgorithm.SHA384);
        CcEventLog parsed = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), forged.bytes()).orElseThrow());
        assertFalse(Arrays.equals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384)));
        // and a changed text under the old digest is caught by the digest check
        CcEventLog edited = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), tampered).orElseThrow());
        assertFalse(edited.entries().get(0).digestMatchesEvent());
    }

    @Test
    void withoutACcelTheLogStartsWithGuestComponentsHeader() throws Exception {
        assertTrue(EvidenceEventLog.assemble(Optional.empty(), new byte[0]).isEmpty());
        AaelStore store = AaelStore.open(logFile);
        open(store).extend(PULL, 17);
        byte[] log = EvidenceEventLog.assemble(Optional.empty(), store.entries()).orElseThrow();
        assertEquals(69 + store.entries().length + 8, log.length);
        assertArrayEquals(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}, Arrays.copyOfRange(log, log.length - 8, log.length));
        CcEventLog parsed = CcEventLog.parse(log);
        assertEquals(1, parsed.entries().size());
        assertArrayEquals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384));
    }

    @Test
    void theCcelIsCutAtItsTerminator() throws Exception {
        byte[] raw = ccel();
        int length = EvidenceEventLog.logLength(raw);
        assertTrue(length < raw.length, "the ACPI table is padded");
        byte[] assembled = EvidenceEventLog.assemble(Optional.of(raw), new byte[0]).orElseThrow();
        assertEquals(length + 8, assembled.length);
        assertArrayEquals(Arrays.copyOf(raw, length), Arrays.copyOf(assembled, length));
        assertEquals(CcEventLog.parse(raw).entries().size(), CcEventLog.parse(assembled).entries().size());
    }

    @Test
    void aRestartedAgentContinuesTheLog() throws Exception {
        open(AaelStore.open(logFile)).extend(PULL, 17);
        AaelStore reopened = AaelStore.open(logFile);
        open(reopened).extend(new AaelEvent("d", "o", "second"), 17);
        CcEventLog parsed = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), reopened.entries())
                .orElseThrow());
        assertEquals(2, parsed.entries().size());
        assertArrayEquals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384));
    }

    @Test
    void aCrashBeforeTheExtendIsFinishedOnOpen() throws Exception {
        AaelStore store = AaelStore.open(logFile);
        open(store).extend(PULL, 17);
        AaelEvent next = new AaelEvent("d", "o", "interrupted");
        AaelEntry entry = AaelEntry.of(next, 4, TcgAlgorithm.SHA384);
        byte[] expected = afterExtend(rtmrs.rtmr(3), entry.digest());
        new WriteAheadRecord(store.size(), 17, expected, next.text()).write(wal);

        AaelStore reopened = AaelStore.open(logFile);
        open(reopened);
        assertArrayEquals(expected, rtmrs.rtmr(3), "the interrupted extend is done");
        assertFalse(Files.exists(wal));
        CcEventLog parsed = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), reopened.entries()).orElseThrow());
        assertEquals(2, parsed.entries().size());
        assertArrayEquals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384));
    }

    @Test
    void aCrashAfterTheExtendOnlyRewritesTheEntry() throws Exception {
        AaelStore store = AaelStore.open(logFile);
        open(store).extend(PULL, 17);
        AaelEvent next = new AaelEvent("d", "o", "half-written");
        AaelEntry entry = AaelEntry.of(next, 4, TcgAlgorithm.SHA384);
        long offset = store.size();
        new WriteAheadRecord(offset, 17, afterExtend(rtmrs.rtmr(3), entry.digest()), next.text()).write(wal);
        rtmrs.extendRuntimeMeasurement(entry.digest(), 17);
        // the crash cut the entry short
        Files.write(logFile, Arrays.copyOf(entry.bytes(), 10), java.nio.file.StandardOpenOption.APPEND);

        AaelStore reopened = AaelStore.open(logFile);
        open(reopened);
        assertEquals(List.of("17->RTMR3", "17->RTMR3"), rtmrs.extendsDone(), "no second extend");
        CcEventLog parsed = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), reopened.entries()).orElseThrow());
        assertEquals(2, parsed.entries().size());
        assertArrayEquals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384));
        assertArrayEquals(reopened.entries(), Files.readAllBytes(logFile));
    }

    @Test
    void aRegisterSomeoneElseExtendedIsRefused() throws Exception {
        AaelStore store = AaelStore.open(logFile);
        AaelEvent next = new AaelEvent("d", "o", "x");
        AaelEntry entry = AaelEntry.of(next, 4, TcgAlgorithm.SHA384);
        new WriteAheadRecord(0, 17, afterExtend(rtmrs.rtmr(3), entry.digest()), next.text()).write(wal);
        rtmrs.extendBehindTheLog(3, new byte[] {1});
        IOException e = assertThrows(IOException.class, () -> open(store));
        assertTrue(e.getMessage().contains("neither the value before nor after"), e.getMessage());
        assertTrue(Files.exists(wal), "the record stays for an operator to inspect");

        Files.write(wal, new byte[5]);
        assertThrows(IOException.class, () -> open(store), "a short record is an error");
    }

    @Test
    void aRefusedExtendLeavesNoRecordBehind() throws Exception {
        AaelStore store = AaelStore.open(logFile);
        RuntimeEventLog log = open(store);
        rtmrs.refuseExtends(true);
        assertThrows(IOException.class, () -> log.extend(PULL, 17));
        assertFalse(Files.exists(wal), "the register did not change: nothing to recover");
        assertEquals(0, store.entries().length);
        rtmrs.refuseExtends(false);
        log.extend(PULL, 17);
        open(AaelStore.open(logFile));
        CcEventLog parsed = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), store.entries()).orElseThrow());
        assertEquals(1, parsed.entries().size());
        assertArrayEquals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384));
    }

    @Test
    void aFailedLogWriteIsFinishedBeforeTheNextExtend() throws Exception {
        AaelStore store = AaelStore.open(logFile);
        RuntimeEventLog log = open(store);
        log.extend(PULL, 17);
        byte[] kept = Files.readAllBytes(logFile);
        Files.delete(logFile);
        assertThrows(IOException.class, () -> log.extend(new AaelEvent("d", "o", "lost-write"), 17));
        assertTrue(Files.exists(wal), "extended but not logged: the record stays");
        Files.write(logFile, kept);
        log.extend(new AaelEvent("d", "o", "next"), 17);
        assertFalse(Files.exists(wal));
        CcEventLog parsed = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), store.entries()).orElseThrow());
        assertEquals(3, parsed.entries().size(), "the interrupted entry was written before the next one");
        assertArrayEquals(rtmrs.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384));
        assertArrayEquals(store.entries(), Files.readAllBytes(logFile));
    }

    @Test
    void aaTomlEventlogConfig() throws Exception {
        TomlMapper toml = new TomlMapper();
        assertEquals(EventLogConfig.DEFAULT, EventLogConfig.fromAaToml(toml, "[token_configs.kbs]\nurl = \"http://k\"\n"));
        assertEquals(new EventLogConfig(true, 17), EventLogConfig.fromAaToml(toml,
                "[eventlog_config]\nenable_eventlog = true\n"));
        assertEquals(new EventLogConfig(true, 9), EventLogConfig.fromAaToml(toml,
                "[eventlog_config]\nenable_eventlog = true\ninit_pcr = 9\n"));
        assertThrows(IOException.class, () -> EventLogConfig.fromAaToml(toml,
                "[eventlog_config]\nenable_eventlog = \"yes\"\n"));
        assertThrows(IOException.class, () -> EventLogConfig.fromAaToml(toml, "[eventlog_config]\ninit_pcr = -1\n"));
    }

    private static byte[] afterExtend(byte[] register, byte[] digest) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-384");
        md.update(register);
        md.update(digest);
        return md.digest();
    }
}
