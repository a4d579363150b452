package org.cvmagent.attestation.attester;

/**
 * The seam between the KBS protocol and a TEE: one implementation per TEE kind.
 *
 * <p>{@link #evidence(byte[])} returns the evidence as the JSON text that Trustee's verifier for
 * {@link #tee()} parses. The report data is the digest that binds the KBS nonce and the TEE public
 * key (computed by the caller); the attester places it in the TEE's report-data field, padding it as
 * that TEE requires.
 */
public interface Attester {

    /** Which TEE this attester speaks for. */
    TeeType tee();

    /**
     * Evidence over {@code reportData}, as the JSON text Trustee's verifier for {@link #tee()}
     * parses.
     *
     * @throws AttesterException if the TEE could not produce evidence or the report data does not
     *     fit the TEE's report-data field
     */
    String evidence(byte[] reportData) throws AttesterException;

    /**
     * What {@link #evidence} is given in the KBS handshake: the digest binding nonce and TEE key,
     * except for TEEs whose challenge nonce is itself their attestation request (IBM SE: the KBS
     * sends the ultravisor's request and the digest is injected into it, as guest-components'
     * kbs_protocol does).
     */
    default byte[] kbsEvidenceInput(String nonce, byte[] runtimeDataDigest) throws AttesterException {
        return runtimeDataDigest;
    }
}
