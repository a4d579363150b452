/**
 * IBM Secure Execution (s390x): attestation through the ultravisor's Attest call on /dev/uv, with
 * the request (ARCB) that Trustee's KBS generates and sends as the challenge nonce.
 */
package org.cvmagent.attestation.se;
