package org.cvmagent.attestation.se;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.attester.SampleAttester;
import org.cvmagent.attestation.attester.TeeType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeAttesterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    @TempDir
    Path dir;

    /** The SeAttestationRequest a KBS sends as the challenge nonce. */
    private static ObjectNode kbsNonce() {
        ObjectNode n = JSON.createObjectNode();
        n.put("request_blob", B64.encodeToString(FakeUv.fill(0x2a0, 0x11)));
        n.put("measurement_size", 64);
        n.put("additional_size", 32);
        n.put("encr_measurement_key", B64.encodeToString(FakeUv.fill(32, 0x22)));
        n.put("encr_request_nonce", B64.encodeToString(FakeUv.fill(16, 0x33)));
        n.put("image_hdr_tags", B64.encodeToString(FakeUv.fill(208, 0x44)));
        return n;
    }

    private SeAttester attester(FakeUv uv) throws Exception {
        Path flag = Files.writeString(dir.resolve("prot_virt_guest"), "1\n");
        return new SeAttester(new UvDevice(uv), flag, JSON);
    }

    @Test
    void evidenceFromTheKbsRequestWithTheDigestInjected() throws Exception {
        FakeUv uv = new FakeUv();
        SeAttester se = attester(uv);
        assertTrue(se.detect());
        assertEquals(TeeType.SE, se.tee());
        byte[] digest = FakeUv.fill(48, 0x77);
        byte[] input = se.kbsEvidenceInput(kbsNonce().toString(), digest);
        assertEquals(B64.encodeToString(digest), JSON.readTree(input).get("runtime_data_digest").asText());

        JsonNode evidence = JSON.readTree(se.evidence(input));
        byte[] userData = Arrays.copyOf(digest, 64);
        assertEquals(7, evidence.size(), evidence.toString());
        assertArrayEquals(userData, b64(evidence, "user_data"));
        assertArrayEquals(FakeUv.hmac(userData), b64(evidence, "measurement"), "the HMAC covers the padded digest");
        assertArrayEquals(FakeUv.fill(32, 0x5a), b64(evidence, "additional_data"));
        assertArrayEquals(FakeUv.CUID, b64(evidence, "cuid"));
        assertArrayEquals(FakeUv.fill(32, 0x22), b64(evidence, "encr_measurement_key"));
        assertArrayEquals(FakeUv.fill(16, 0x33), b64(evidence, "encr_request_nonce"));
        assertArrayEquals(FakeUv.fill(208, 0x44), b64(evidence, "image_hdr_tags"));

        assertEquals(0xC0407501L, uv.request, "_IOWR('u', 1, struct uvio_ioctl_cb)");
        assertEquals(0x138, uv.argumentLength);
        assertArrayEquals(FakeUv.fill(0x2a0, 0x11), uv.arcb);
        assertEquals(64, uv.userDataLength);
        assertArrayEquals(userData, uv.userData);
        assertEquals(64, uv.measurementLength);
        assertEquals(32, uv.additionalLength);
    }

    @Test
    void refusalsAndBadRequestsAreClearErrors() throws Exception {
        FakeUv uv = new FakeUv();
        SeAttester se = attester(uv);
        uv.rc = 0x0106;
        AttesterException refused = assertThrows(AttesterException.class,
                () -> se.evidence(se.kbsEvidenceInput(kbsNonce().toString(), new byte[32])));
        assertTrue(refused.getMessage().contains("rc 0x106"), refused.getMessage());
        uv.rc = 0x0001;

        assertThrows(AttesterException.class, () -> se.evidence(kbsNonce().toString().getBytes()),
                "no runtime_data_digest");
        assertThrows(AttesterException.class, () -> se.evidence(se.kbsEvidenceInput(kbsNonce().toString(),
                new byte[65])), "a digest longer than the 64-byte user data");
        assertThrows(AttesterException.class, () -> se.kbsEvidenceInput("a plain nonce", new byte[32]));
        ObjectNode noAdditional = kbsNonce().put("additional_size", 0);
        assertThrows(AttesterException.class, () -> se.evidence(se.kbsEvidenceInput(noAdditional.toString(),
                new byte[32])));
        ObjectNode shortTags = kbsNonce().put("image_hdr_tags", B64.encodeToString(new byte[10]));
        assertThrows(AttesterException.class, () -> se.evidence(se.kbsEvidenceInput(shortTags.toString(),
                new byte[32])));
        ObjectNode hugeMeasurement = kbsNonce().put("measurement_size", 0x10000);
        assertThrows(AttesterException.class, () -> se.evidence(se.kbsEvidenceInput(hugeMeasurement.toString(),
                new byte[32])));
    }

    @Test
    void detectionNeedsTheProtectedGuestFlag() throws Exception {
        Files.writeString(dir.resolve("off"), "0\n");
        assertFalse(new SeAttester(new UvDevice(new FakeUv()), dir.resolve("off"), JSON).detect());
        assertFalse(new SeAttester(new UvDevice(new FakeUv()), dir.resolve("missing"), JSON).detect());
    }

    @Test
    void otherTeesGetTheDigestItself() throws Exception {
        byte[] digest = FakeUv.fill(32, 1);
        assertArrayEquals(digest, new SampleAttester(JSON).kbsEvidenceInput("nonce", digest));
    }

    private static byte[] b64(JsonNode evidence, String field) {
        return Base64.getDecoder().decode(evidence.get(field).asText());
    }
}
