package org.cvmagent.attestation.eventlog;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What an event's data says, decoded per event type as Trustee's event log parser does (its
 * {@code EventDetails}): a string for text events; name, GUID and base64 data for EFI variable
 * events; the device path of boot-services applications as text nodes; for tagged events their
 * text, and for AAEL tags the parsed {@code domain}, {@code operation} and {@code content} under
 * {@code data}. Absent fields are absent from the claims, as there.
 */
public record EventDetails(Optional<String> string, Optional<String> unicodeName, OptionalLong unicodeNameLength,
        Optional<String> variableData, OptionalLong variableDataLength, Optional<String> variableName,
        Optional<List<String>> devicePaths, Optional<JsonNode> data) {

    public static EventDetails empty() {
        return new EventDetails(Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(),
                OptionalLong.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public static EventDetails of(String s) {
        return new EventDetails(Optional.of(s), Optional.empty(), OptionalLong.empty(), Optional.empty(),
                OptionalLong.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    static EventDetails efiVariable(String unicodeName, long unicodeNameLength, String variableDataBase64,
            long variableDataLength, String variableName) {
        return new EventDetails(Optional.empty(), Optional.of(unicodeName), OptionalLong.of(unicodeNameLength),
                Optional.of(variableDataBase64), OptionalLong.of(variableDataLength), Optional.of(variableName),
                Optional.empty(), Optional.empty());
    }

    static EventDetails tagged(String text, Optional<String> unicodeName, Optional<JsonNode> data) {
        return new EventDetails(Optional.of(text), unicodeName, OptionalLong.empty(), Optional.empty(),
                OptionalLong.empty(), Optional.empty(), Optional.empty(), data);
    }

    static EventDetails devicePaths(List<String> paths) {
        return new EventDetails(Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(),
                OptionalLong.empty(), Optional.empty(), Optional.of(List.copyOf(paths)), Optional.empty());
    }
}
