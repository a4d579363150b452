package org.cvmagent.attestation.eventlog;

import java.util.Optional;

/**
 * What an event's data says, decoded per event type as Trustee's event log parser does; empty when
 * the type carries nothing readable (separators) or its decoding is not one we do.
 */
public record EventDetails(Optional<String> string) {
    public static EventDetails empty() {
        return new EventDetails(Optional.empty());
    }

    public static EventDetails of(String s) {
        return new EventDetails(Optional.of(s));
    }
}
