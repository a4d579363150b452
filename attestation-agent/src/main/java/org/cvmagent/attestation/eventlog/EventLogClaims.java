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
            EventDetails what = e.details();
            what.string().ifPresent(s -> details.put("string", s));
            what.unicodeName().ifPresent(s -> details.put("unicode_name", s));
            what.unicodeNameLength().ifPresent(n -> details.set("unicode_name_length", number(n)));
            what.variableData().ifPresent(s -> details.put("variable_data", s));
            what.variableDataLength().ifPresent(n -> details.set("variable_data_length", number(n)));
            what.variableName().ifPresent(s -> details.put("variable_name", s));
            what.devicePaths().ifPresent(paths -> paths.forEach(details.putArray("device_paths")::add));
            what.data().ifPresent(v -> details.set("data", v));
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

    /** An int node when the value fits, as JSON readers produce it, so claims compare equal to parsed JSON. */
    private static com.fasterxml.jackson.databind.JsonNode number(long n) {
        return n <= Integer.MAX_VALUE && n >= Integer.MIN_VALUE ? JsonNodeFactory.instance.numberNode((int) n)
                : JsonNodeFactory.instance.numberNode(n);
    }
}
