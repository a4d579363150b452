package org.cvmagent.image.decrypt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import org.cvmagent.image.registry.Digest;

/**
 * What decrypts one layer: ocicrypt's {@code AES_256_CTR_HMAC_SHA256}, the only cipher its
 * specification defines. The private options (unwrapped from the layer's key annotation) carry
 * {@code symkey} and {@code cipheroptions.nonce} (and a {@code digest} that is not checked: skopeo
 * writes the source layer's, which differs from the plaintext's when it compresses on copy); the public options ({@code org.opencontainers.image.enc.pubopts}) carry
 * {@code cipher} and {@code hmac}, an HMAC-SHA256 keyed with the symmetric key over the whole
 * ciphertext. JSON byte strings are standard base64, as Go writes {@code []byte}.
 */
public record LayerCipher(Digest layer, byte[] key, byte[] nonce, byte[] hmac) {
    public static final String AES_256_CTR_HMAC_SHA256 = "AES_256_CTR_HMAC_SHA256";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param privateOptions the unwrapped private options (JSON)
     * @param pubopts        the layer's pubopts annotation (base64 JSON), may be null
     */
    public static LayerCipher parse(Digest layer, byte[] privateOptions, String pubopts) throws LayerDecryptionException {
        JsonNode priv = json(layer, privateOptions, "private options");
        if (pubopts == null) {
            throw invalid(layer, "no " + EncryptedLayers.PUBOPTS + " annotation (cipher and HMAC)");
        }
        JsonNode pub = json(layer, base64(layer, pubopts, EncryptedLayers.PUBOPTS), "public options");
        String cipher = pub.path("cipher").asText("");
        if (!AES_256_CTR_HMAC_SHA256.equals(cipher)) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.UNSUPPORTED, layer,
                    "cipher \"" + cipher + "\" is not supported (only " + AES_256_CTR_HMAC_SHA256 + ")");
        }
        byte[] key = bytes(layer, priv, "symkey");
        if (key == null || key.length != 32) {
            throw invalid(layer, "symkey is not 32 bytes");
        }
        byte[] nonce = bytes(layer, priv.path("cipheroptions"), "nonce");
        if (nonce == null) {
            nonce = bytes(layer, pub.path("cipheroptions"), "nonce");
        }
        if (nonce == null || nonce.length != 16) {
            throw invalid(layer, "cipher option nonce is missing or not 16 bytes");
        }
        byte[] hmac = bytes(layer, pub, "hmac");
        if (hmac == null || hmac.length != 32) {
            throw invalid(layer, "public options carry no 32-byte hmac, so the ciphertext cannot be verified");
        }
        return new LayerCipher(layer, key, nonce, hmac);
    }

    private static JsonNode json(Digest layer, byte[] data, String what) throws LayerDecryptionException {
        try {
            JsonNode n = JSON.readTree(data);
            if (n == null || !n.isObject()) {
                throw invalid(layer, what + " are not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw invalid(layer, what + " are not JSON");
        }
    }

    private static byte[] bytes(Digest layer, JsonNode obj, String field) throws LayerDecryptionException {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw invalid(layer, field + " is not a base64 string");
        }
        return base64(layer, v.asText(), field);
    }

    static byte[] base64(Digest layer, String text, String what) throws LayerDecryptionException {
        try {
            return Base64.getDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw invalid(layer, what + " is not base64");
        }
    }

    private static LayerDecryptionException invalid(Digest layer, String detail) {
        return new LayerDecryptionException(LayerDecryptionException.Reason.INVALID, layer, detail);
    }

    @Override
    public String toString() {
        return "LayerCipher[" + layer + "]"; // never the key
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayerCipher c && layer.equals(c.layer) && Arrays.equals(key, c.key)
                && Arrays.equals(nonce, c.nonce) && Arrays.equals(hmac, c.hmac);
    }

    @Override
    public int hashCode() {
        return layer.hashCode();
    }
}
