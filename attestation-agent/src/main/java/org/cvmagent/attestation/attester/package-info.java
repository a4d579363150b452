/**
 * The TEE seam: an {@link org.cvmagent.attestation.attester.Attester} per TEE turns report data
 * into evidence JSON in the shape Trustee's verifier for that TEE parses. The KBS client computes
 * the report data (the hash binding the KBS nonce and the TEE public key) and hands it over
 * unpadded; padding to the TEE's report-data field is the attester's job.
 */
package org.cvmagent.attestation.attester;
