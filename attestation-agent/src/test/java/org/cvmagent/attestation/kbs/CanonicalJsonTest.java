package org.cvmagent.attestation.kbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
    private final ObjectMapper json = new ObjectMapper();

    /** The vector from Trustee's attestation-service runtime-data test: sha384 of the canonical form. */
    @Test
    void matchesTrusteesRuntimeDataDigest() throws Exception {
        byte[] canonical = CanonicalJson.bytes(json.readTree("{\"b\": 1, \"a\": \"test\", \"c\": {\"d\": \"e\"}}"));

        assertEquals("{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}", new String(canonical, StandardCharsets.UTF_8));
        assertEquals("e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3",
                HexFormat.of().formatHex(HashAlgorithm.SHA384.digest(canonical)));
    }

    @Test
    void escapesAsEcmaScriptAndSortsByUtf16() throws Exception {
        String input = "{\"\\u00e9\":1,\"z\":[true,null,\"a\\\"b\\\\c\\n\\u0001\\u007f\\u20ac\"],\"A\":{}}";

        String out = new String(CanonicalJson.bytes(json.readTree(input)), StandardCharsets.UTF_8);

        assertEquals("{\"A\":{},\"z\":[true,null,\"a\\\"b\\\\c\\n\\u0001\u007f\u20ac\"],\"\u00e9\":1}", out);
    }

    @Test
    void refusesFractionalNumbers() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.bytes(json.readTree("{\"a\":1.5}")));
    }
}
