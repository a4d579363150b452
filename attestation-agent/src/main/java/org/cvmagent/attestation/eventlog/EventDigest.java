package org.cvmagent.attestation.eventlog;

/** One digest of an event, in one bank. */
public record EventDigest(TcgAlgorithm algorithm, byte[] digest) {
}
