/**
 * A client of Trustee's Key Broker Service, per {@code kbs/docs/kbs_attestation_protocol.md}
 * (protocol version 0.4.0):
 * <ol>
 *   <li>{@code POST /kbs/v0/auth} {@code {"version","tee","extra-params"}} answers a challenge
 *       {@code {"nonce","extra-params"}} and sets the {@code kbs-session-id} cookie;</li>
 *   <li>a fresh TEE key pair is generated in memory; the report data is the digest (sha384 unless
 *       the challenge's {@code selected-hash-algorithm} says otherwise) of the RFC 8785 form of
 *       {@code {"tee-pubkey", "nonce", "additional-evidence": ""}}, as Trustee recomputes it;</li>
 *   <li>{@code POST /kbs/v0/attest} {@code {"init-data", "runtime-data": {"nonce","tee-pubkey"},
 *       "tee-evidence": {"primary_evidence", "additional_evidence"}}} answers {@code {"token"}};</li>
 *   <li>{@code GET /kbs/v0/resource/<repo>/<type>/<tag>} with the cookie and the bearer token
 *       answers a flattened-JSON JWE (ECDH-ES+A256KW or RSA-OAEP-256, A256GCM) decrypted with
 *       the TEE private key.</li>
 * </ol>
 */
package org.cvmagent.attestation.kbs;
