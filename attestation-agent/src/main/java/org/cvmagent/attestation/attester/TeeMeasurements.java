package org.cvmagent.attestation.attester;

import java.io.IOException;

/**
 * What a TEE offers beyond evidence: registers the guest may extend at runtime, and a launch-time
 * field (TDX MRCONFIGID, SNP HOST_DATA) that init-data is bound to. TEEs without them (the sample
 * TEE) do not implement this.
 */
public interface TeeMeasurements {
    /** Extends the register a PCR index maps to with a digest. */
    void extendRuntimeMeasurement(byte[] digest, long pcrIndex) throws IOException;

    /** Whether the TEE's launch-time field holds the init-data digest. */
    boolean initDataMatches(byte[] initDataDigest) throws IOException;
}
