package org.cvmagent.attestation.se;

/** What the ultravisor's Attest call returned: the measurement (HMAC), the additional data and the configuration UID. */
public record UvAttestation(byte[] measurement, byte[] additionalData, byte[] configUid) {
}
