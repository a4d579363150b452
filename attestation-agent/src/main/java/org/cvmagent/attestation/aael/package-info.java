/**
 * The attestation-agent event log (AAEL) as CoCo guest-components keeps it: each runtime event
 * ({@code <domain> <operation> <content>}) is wrapped in a TCG2 crypto-agile EV_EVENT_TAG entry with
 * tagged-event id "AAEL", its digest extended into the TEE register the PCR index maps to, and the
 * entries appended after the firmware's CC event log in the evidence so that a verifier (Trustee's
 * eventlog crate) replays firmware and runtime events into the same registers.
 */
package org.cvmagent.attestation.aael;
