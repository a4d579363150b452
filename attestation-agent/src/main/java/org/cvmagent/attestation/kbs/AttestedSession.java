package org.cvmagent.attestation.kbs;

/**
 * What an RCAR handshake yields: the KBS session cookie, the attestation token, and the TEE key
 * pair the KBS encrypts resources to. All three are credentials; {@link #toString()} shows none.
 */
record AttestedSession(String cookie, AttestationToken token, TeeKeyPair key) {
    @Override
    public String toString() {
        return "AttestedSession[" + token + ", " + key + "]";
    }
}
