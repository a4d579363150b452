package org.cvmagent.attestation.attester;

import java.io.IOException;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;

/**
 * Registers the guest may extend at runtime (TDX RTMRs). TEEs without them (SNP, the sample TEE)
 * do not implement this.
 */
public interface TeeMeasurements {
    /** Extends the register a PCR index maps to with a digest. */
    void extendRuntimeMeasurement(byte[] digest, long pcrIndex) throws IOException;

    /** The current value of the register a PCR index maps to. */
    byte[] runtimeMeasurement(long pcrIndex) throws IOException;

    /**
     * The register index that event log entries for this PCR carry, so that a verifier replays
     * them into the right register (the CC measurement register index: TDX RTMR n is n + 1).
     */
    long measurementRegister(long pcrIndex);

    /** The bank the registers hash with, and so the digest algorithm of runtime event log entries. */
    TcgAlgorithm eventLogAlgorithm();
}
