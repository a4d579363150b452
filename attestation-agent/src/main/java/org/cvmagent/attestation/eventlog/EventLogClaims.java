package org.cvmagent.attestation.eventlog;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.HexFormat;

/** An event log as Trustee's verifiers report it in claims ({@code uefi_event_logs}). */
public final class EventLogClaims {
    private EventLogClaims() {
    }

    public static ArrayNode toJson(CcEventLog log) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ArrayNode out = f.arrayNode();
        for (EventLogEntry e : log.entries()) {
            ObjectNode o = out.addObject();
            ObjectNode details = o.putObject("details");
            e.details().string().ifPresent(s -> details.put("string", s));
            o.put("digest_matches_event", e.digestMatchesEvent());
            ArrayNode digests = o.putArray("digests");
            for (EventDigest d : e.digests()) {
                digests.addObject().put("alg", d.algorithm().displayName())
                        .put("digest", HexFormat.of().formatHex(d.digest()));
            }
            o.put("event", Base64.getEncoder().encodeToString(e.data()));
            // an int when it fits, as JSON readers produce it, so claims compare equal to parsed JSON
            if (e.index() <= Integer.MAX_VALUE) {
                o.put("index", (int) e.index());
            } else {
                o.put("index", e.index());
            }
            o.put("type_name", e.type().name());
        }
        return out;
    }
}
