package org.cvmagent.attestation.eventlog;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * TCG_PCClientTaggedEvent, the data of EV_EVENT_TAG (TCG PC Client PFP 10.2.6):
 * {@code taggedEventID u32 | taggedEventDataSize u32 | taggedEventData}. Its text (NULs dropped,
 * invalid UTF-8 replaced) is the details' string, as Trustee reports it. A tag with id "AAEL"
 * (0x4141454c) is an attestation-agent event: its text must be UTF-8
 * {@code <domain> <operation> <content>}, reported under {@code data} with the content as JSON when
 * it parses as JSON, as text otherwise.
 */
final class TaggedEventData {
    static final long AAEL_TAGGED_EVENT_ID = 0x4141454cL;
    /** Fails on "1 2": serde_json reads one value and refuses trailing content, so must we. */
    private static final ObjectMapper CONTENT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private TaggedEventData() {
    }

    static EventDetails decode(byte[] data) throws EvidenceFormatException {
        LittleEndianReader r = new LittleEndianReader(data, 0, "tagged event");
        long id = r.u32("taggedEventID");
        long size = r.u32("taggedEventDataSize");
        if (size > r.remaining()) {
            throw new EvidenceFormatException("tagged event: " + size + " bytes of data, " + r.remaining() + " left");
        }
        byte[] body = r.bytes((int) size, "taggedEventData");
        String text = new String(body, StandardCharsets.UTF_8).replace("\0", "");
        if (id != AAEL_TAGGED_EVENT_ID) {
            return EventDetails.of(text);
        }
        return EventDetails.tagged(text, Optional.of("AAEL"), Optional.of(aael(strictUtf8(body))));
    }

    private static JsonNode aael(String event) throws EvidenceFormatException {
        int first = event.indexOf(' ');
        int second = first < 0 ? -1 : event.indexOf(' ', first + 1);
        if (second < 0) {
            throw new EvidenceFormatException("AAEL event '" + event + "' is not '<domain> <operation> <content>'");
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("domain", event.substring(0, first));
        o.put("operation", event.substring(first + 1, second));
        String content = event.substring(second + 1);
        o.set("content", contentValue(content));
        return o;
    }

    private static JsonNode contentValue(String content) {
        try {
            JsonNode parsed = CONTENT.readTree(content);
            // empty or blank text reads as "no value", which serde_json refuses: it stays a string
            return parsed == null || parsed.isMissingNode() ? JsonNodeFactory.instance.textNode(content) : parsed;
        } catch (JacksonException e) {
            // content that is not JSON is reported as the text it is (Trustee's fallback)
            return JsonNodeFactory.instance.textNode(content);
        }
    }

    private static String strictUtf8(byte[] body) throws EvidenceFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new EvidenceFormatException("AAEL event data is not UTF-8", e);
        }
    }
}
