package org.cvmagent.attestation.aael;

/** Where an attester gets the AAEL entries recorded so far, to append them to its evidence's event log. */
@FunctionalInterface
public interface AaelSource {
    /** No runtime event log is kept (CoCo's {@code enable_eventlog = false}). */
    AaelSource NONE = () -> new byte[0];

    /** The concatenated TCG2 entries, in the order they were extended. */
    byte[] entries();
}
