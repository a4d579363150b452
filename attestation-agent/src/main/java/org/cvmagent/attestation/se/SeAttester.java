package org.cvmagent.attestation.se;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.attester.TeeType;

/**
 * IBM Secure Execution evidence as guest-components' SE attester makes it. The input is the
 * {@code SeAttestationRequest} JSON Trustee's KBS sent as the challenge nonce ({@code request_blob},
 * {@code measurement_size}, {@code additional_size}, {@code encr_measurement_key},
 * {@code encr_request_nonce}, {@code image_hdr_tags}, all byte fields base64) with
 * {@code runtime_data_digest} injected; the digest, zero-padded to 64 bytes, is the user data the
 * ultravisor's measurement (an HMAC) covers. The evidence is the {@code SeAttestationResponse}:
 * {@code measurement}, {@code additional_data}, {@code user_data}, {@code cuid} and the request's
 * key, nonce and header tags echoed, all base64. SE has no init-data field (Trustee ignores it).
 */
public final class SeAttester implements Attester {
    public static final Path DEFAULT_PV_GUEST = Path.of("/sys/firmware/uv/prot_virt_guest");
    private static final int USER_DATA_SIZE = 64;
    /** pv's BootHdrTags: pld, ale, tld (64 bytes each) and the 16-byte tag. */
    private static final int BOOT_HDR_TAGS_SIZE = 3 * 64 + 16;

    private final UvDevice uv;
    private final Path protVirtGuest;
    private final ObjectMapper json;

    public SeAttester(UvDevice uv, Path protVirtGuest, ObjectMapper json) {
        this.uv = uv;
        this.protVirtGuest = protVirtGuest;
        this.json = json;
    }

    /** A protected-virtualization guest (the kernel's flag, as the pv crate reads it) with the uv device. */
    public boolean detect() {
        try {
            return uv.present() && Files.isReadable(protVirtGuest)
                    && Files.readString(protVirtGuest).strip().equals("1");
        } catch (IOException e) {
            // an unreadable flag is no SE guest; evidence() would fail at the device anyway
            return false;
        }
    }

    @Override
    public TeeType tee() {
        return TeeType.SE;
    }

    /** The KBS nonce is the SE request: the runtime-data digest goes into it. */
    @Override
    public byte[] kbsEvidenceInput(String nonce, byte[] runtimeDataDigest) throws AttesterException {
        ObjectNode request = object(nonce.getBytes(java.nio.charset.StandardCharsets.UTF_8), "KBS nonce");
        request.put("runtime_data_digest", Base64.getEncoder().encodeToString(runtimeDataDigest));
        try {
            return json.writeValueAsBytes(request);
        } catch (JacksonException e) {
            throw new AttesterException("serialising the SE attestation request failed", e);
        }
    }

    @Override
    public String evidence(byte[] requestJson) throws AttesterException {
        ObjectNode request = object(requestJson, "evidence input");
        byte[] digest = bytes(request, "runtime_data_digest");
        if (digest.length > USER_DATA_SIZE) {
            throw new AttesterException("SE runtime_data_digest is " + digest.length + " bytes, at most "
                    + USER_DATA_SIZE);
        }
        byte[] userData = Arrays.copyOf(digest, USER_DATA_SIZE);
        byte[] tags = bytes(request, "image_hdr_tags");
        if (tags.length != BOOT_HDR_TAGS_SIZE) {
            throw new AttesterException("SE image_hdr_tags is " + tags.length + " bytes, not " + BOOT_HDR_TAGS_SIZE);
        }
        int additionalSize = u32(request, "additional_size");
        if (additionalSize == 0) {
            // guest-components fails here too: Trustee's verifier needs the additional data
            throw new AttesterException("SE request asks for no additional data");
        }
        UvAttestation result;
        try {
            result = uv.attest(bytes(request, "request_blob"), userData, u32(request, "measurement_size"),
                    additionalSize);
        } catch (IOException e) {
            throw new AttesterException("SE attestation: " + e.getMessage(), e);
        }
        Base64.Encoder b64 = Base64.getEncoder();
        ObjectNode response = json.createObjectNode();
        response.put("measurement", b64.encodeToString(result.measurement()));
        response.put("additional_data", b64.encodeToString(result.additionalData()));
        response.put("user_data", b64.encodeToString(userData));
        response.put("cuid", b64.encodeToString(result.configUid()));
        response.put("encr_measurement_key", b64.encodeToString(bytes(request, "encr_measurement_key")));
        response.put("encr_request_nonce", b64.encodeToString(bytes(request, "encr_request_nonce")));
        response.put("image_hdr_tags", b64.encodeToString(tags));
        return response.toString();
    }

    private ObjectNode object(byte[] text, String what) throws AttesterException {
        try {
            JsonNode node = json.readTree(text);
            if (node instanceof ObjectNode o) {
                return o;
            }
        } catch (IOException e) {
            throw new AttesterException("SE " + what + " is not an attestation request: " + e.getMessage(), e);
        }
        throw new AttesterException("SE " + what + " is not a JSON object");
    }

    private static byte[] bytes(JsonNode request, String field) throws AttesterException {
        JsonNode value = request.get(field);
        if (value == null || !value.isTextual()) {
            throw new AttesterException("SE attestation request has no " + field);
        }
        try {
            return Base64.getDecoder().decode(value.textValue());
        } catch (IllegalArgumentException e) {
            throw new AttesterException("SE attestation request: " + field + " is not base64", e);
        }
    }

    private static int u32(JsonNode request, String field) throws AttesterException {
        JsonNode value = request.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 0) {
            throw new AttesterException("SE attestation request: " + field + " is not a size");
        }
        return value.intValue();
    }
}
