package org.cvmagent.attestation.aael;

import java.nio.charset.StandardCharsets;

/**
 * One AAEL event, {@code <domain> <operation> <content>} (Trustee's
 * kbs/docs/confidential-containers-eventlog.md). Domain and operation must be non-empty and free of
 * white space, and content free of line feeds: a verifier splits the text at the first two spaces,
 * so anything else would be read back as a different event than the one measured.
 */
public record AaelEvent(String domain, String operation, String content) {

    public AaelEvent {
        requireToken(domain, "domain");
        requireToken(operation, "operation");
        if (content == null) {
            throw new IllegalArgumentException("AAEL content is missing");
        }
        if (content.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("AAEL content must not contain a line feed");
        }
    }

    private static void requireToken(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("AAEL " + field + " is empty");
        }
        if (value.codePoints().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("AAEL " + field + " must not contain white space: '" + value + "'");
        }
    }

    /** The event text that is measured: the three fields joined by single spaces. */
    public String text() {
        return domain + " " + operation + " " + content;
    }

    /** Parses event text back, splitting at the first two spaces as the verifier does. */
    public static AaelEvent parse(String text) {
        int first = text.indexOf(' ');
        int second = first < 0 ? -1 : text.indexOf(' ', first + 1);
        if (second < 0) {
            throw new IllegalArgumentException("AAEL event text has fewer than two spaces: '" + text + "'");
        }
        return new AaelEvent(text.substring(0, first), text.substring(first + 1, second), text.substring(second + 1));
    }

    byte[] utf8() {
        return text().getBytes(StandardCharsets.UTF_8);
    }
}
