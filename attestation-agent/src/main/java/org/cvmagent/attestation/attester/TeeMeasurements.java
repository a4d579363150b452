package org.cvmagent.attestation.attester;

import java.io.IOException;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;

/**
 * What a TEE offers beyond evidence: registers the guest may extend at runtime, and a launch-time
 * field (TDX MRCONFIGID, SNP HOST_DATA) that init-data is bound to. TEEs without them (the sample
 * TEE) do not implement this.
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

    /** Whether the TEE's launch-time field holds the init-data digest. */
    boolean initDataMatches(byte[] initDataDigest) throws IOException;
}
