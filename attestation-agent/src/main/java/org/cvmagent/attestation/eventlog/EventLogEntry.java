package org.cvmagent.attestation.eventlog;

import java.util.List;

/**
 * One measured event: the register it extends (on TDX the CC measurement register index: 1 =
 * RTMR0, ...), its type, digests, raw data, the decoded details, and whether the digests are the
 * hash of the data (true for events that measure their own data, false for those that measure
 * something else, like a firmware volume).
 */
public record EventLogEntry(long index, TcgEventType type, List<EventDigest> digests, byte[] data,
        EventDetails details, boolean digestMatchesEvent) {
}
