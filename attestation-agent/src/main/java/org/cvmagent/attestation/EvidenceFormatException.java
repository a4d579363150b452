package org.cvmagent.attestation;

/** TEE evidence (a quote, a report, an event log) that does not parse; the message says where. */
public final class EvidenceFormatException extends Exception {
    public EvidenceFormatException(String message) {
        super(message);
    }

    public EvidenceFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
