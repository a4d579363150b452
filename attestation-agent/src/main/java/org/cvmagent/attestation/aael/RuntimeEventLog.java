package org.cvmagent.attestation.aael;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import org.cvmagent.attestation.attester.TeeMeasurements;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;

/**
 * Runtime measurements with their event log, as CoCo's AA {@code EventLog::extend_entry} does
 * them: write the expected register value and the event to the write-ahead record, extend the
 * register with the entry's digest, append the entry to the log, drop the record. A crash between
 * any two steps is recovered by {@link #open} on the next start; a register that matches neither
 * "before" nor "after" the recorded event means someone else extended it, and the log is refused.
 */
public final class RuntimeEventLog {
    private final TeeMeasurements registers;
    private final AaelStore store;
    private final Path writeAhead;
    private final long defaultPcr;

    private RuntimeEventLog(TeeMeasurements registers, AaelStore store, Path writeAhead, long defaultPcr) {
        this.registers = registers;
        this.store = store;
        this.writeAhead = writeAhead;
        this.defaultPcr = defaultPcr;
    }

    /**
     * The log over these registers, finishing an extend a crash interrupted.
     *
     * @param defaultPcr the PCR events go to when the caller names none (aa.toml
     *                   {@code eventlog_config.init_pcr}, 17 by default)
     */
    public static RuntimeEventLog open(TeeMeasurements registers, AaelStore store, Path writeAhead, long defaultPcr)
            throws IOException {
        RuntimeEventLog log = new RuntimeEventLog(registers, store, writeAhead, defaultPcr);
        Optional<WriteAheadRecord> pending = WriteAheadRecord.read(writeAhead,
                registers.eventLogAlgorithm().digestSize());
        if (pending.isPresent()) {
            log.recover(pending.get());
        }
        return log;
    }

    public long defaultPcr() {
        return defaultPcr;
    }

    /**
     * Measures an event into the register {@code pcr} maps to and records it. An earlier extend
     * that failed half-way is finished first, so that no record is overwritten before it is resolved.
     */
    public synchronized AaelEntry extend(AaelEvent event, long pcr) throws IOException {
        return store.exclusive(() -> extendExclusively(event, pcr));
    }

    private AaelEntry extendExclusively(AaelEvent event, long pcr) throws IOException {
        Optional<WriteAheadRecord> pending = WriteAheadRecord.read(writeAhead,
                registers.eventLogAlgorithm().digestSize());
        if (pending.isPresent()) {
            recover(pending.get());
        }
        AaelEntry entry = AaelEntry.of(event, registers.measurementRegister(pcr), registers.eventLogAlgorithm());
        byte[] before = registers.runtimeMeasurement(pcr);
        byte[] expected = extended(before, entry.digest());
        long offset = store.size();
        new WriteAheadRecord(offset, pcr, expected, event.text()).write(writeAhead);
        try {
            registers.extendRuntimeMeasurement(entry.digest(), pcr);
        } catch (IOException e) {
            dropRecordIfUnextended(pcr, before, e);
            throw e;
        }
        store.writeAt(offset, entry.bytes());
        Files.delete(writeAhead);
        return entry;
    }

    /**
     * After a failed extend: when the register provably did not change, the record describes
     * nothing and goes (else every later extend, and the next start, would replay a refused extend);
     * otherwise it stays for recovery to decide.
     */
    private void dropRecordIfUnextended(long pcr, byte[] before, IOException failure) {
        try {
            if (MessageDigest.isEqual(before, registers.runtimeMeasurement(pcr))) {
                Files.delete(writeAhead);
            }
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    private void recover(WriteAheadRecord pending) throws IOException {
        AaelEvent event;
        try {
            event = AaelEvent.parse(pending.eventText());
        } catch (IllegalArgumentException e) {
            throw new IOException("AAEL write-ahead record " + writeAhead + ": " + e.getMessage(), e);
        }
        AaelEntry entry = AaelEntry.of(event, registers.measurementRegister(pending.pcr()),
                registers.eventLogAlgorithm());
        byte[] current = registers.runtimeMeasurement(pending.pcr());
        if (!MessageDigest.isEqual(current, pending.expectedRegister())) {
            // the crash came before the extend: the register must be exactly one event short
            if (!MessageDigest.isEqual(extended(current, entry.digest()), pending.expectedRegister())) {
                throw new IOException("AAEL recovery: the register for PCR " + pending.pcr() + " holds "
                        + HexFormat.of().formatHex(current) + ", which is neither the value before nor after the "
                        + "interrupted event '" + pending.eventText() + "'; another writer extended it or the log "
                        + store.file() + " is corrupt. Remove " + writeAhead + " only after checking the register.");
            }
            registers.extendRuntimeMeasurement(entry.digest(), pending.pcr());
        }
        store.writeAt(pending.offset(), entry.bytes());
        Files.delete(writeAhead);
    }

    /** What the register holds after extending: H(register || digest) in the register's bank. */
    private byte[] extended(byte[] register, byte[] digest) {
        TcgAlgorithm algorithm = registers.eventLogAlgorithm();
        if (register.length != algorithm.digestSize()) {
            throw new IllegalStateException("a " + algorithm.displayName() + " register is " + algorithm.digestSize()
                    + " bytes, read " + register.length);
        }
        byte[] both = new byte[register.length + digest.length];
        System.arraycopy(register, 0, both, 0, register.length);
        System.arraycopy(digest, 0, both, register.length, digest.length);
        return AaelEntry.digest(algorithm, both);
    }
}
