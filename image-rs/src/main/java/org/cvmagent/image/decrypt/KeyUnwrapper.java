package org.cvmagent.image.decrypt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.jca.JWEJCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.signature.KbsResourceUri;
import org.cvmagent.image.signature.ResourceFetcher;

/**
 * Recovers a layer's private options (its symmetric key) from the manifest's annotations:
 * <ul>
 *   <li>{@code org.opencontainers.image.enc.keys.jwe}: comma-separated base64 JWEs in JSON
 *       serialization (what skopeo/ocicrypt write for {@code --encryption-key jwe:pub.pem}), one per
 *       recipient, key wrapped with RSA-OAEP, RSA-OAEP-256 or ECDH-ES+A256KW, content A256GCM;
 *       tried with each configured private key;</li>
 *   <li>{@code org.opencontainers.image.enc.keys.provider.attestation-agent}: CoCo's key provider,
 *       base64 JSON {@code {kid, wrapped_data, iv, wrap_type}} where {@code kid} is a
 *       {@code kbs:///repo/type/tag} key-encryption key (32 raw bytes) fetched from the KBS and
 *       {@code wrapped_data} the options sealed with it by AES-256-GCM.</li>
 * </ul>
 * Other algorithms (RSA1_5, dir, ...) are refused whatever nimbus could do with them.
 */
final class KeyUnwrapper {
    private static final Set<JWEAlgorithm> ALGORITHMS = Set.of(JWEAlgorithm.RSA_OAEP, JWEAlgorithm.RSA_OAEP_256,
            JWEAlgorithm.ECDH_ES_A256KW);
    private static final int MAX_JWES = 64;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param keys the configured private keys (possibly none)
     * @param kbs  fetches provider key-encryption keys; null when there is no KBS
     */
    byte[] unwrap(Digest layer, Map<String, String> annotations, PrivateKeys keys, ResourceFetcher kbs)
            throws LayerDecryptionException {
        return unwrap(layer, annotations, keys, kbs, source -> { });
    }

    /** As above; {@code source} is told where the key that unwrapped the layer key came from. */
    byte[] unwrap(Digest layer, Map<String, String> annotations, PrivateKeys keys, ResourceFetcher kbs,
            java.util.function.Consumer<String> source) throws LayerDecryptionException {
        String jwes = EncryptedLayers.annotation(annotations, EncryptedLayers.JWE_KEYS);
        String provider = EncryptedLayers.annotation(annotations, EncryptedLayers.PROVIDER_KEYS);
        if (jwes == null && provider == null) {
            String others = annotations == null ? "" : String.join(", ", annotations.keySet().stream()
                    .filter(k -> k.startsWith("org.opencontainers.image.enc.keys.")).toList());
            if (!others.isEmpty()) {
                throw new LayerDecryptionException(LayerDecryptionException.Reason.UNSUPPORTED, layer,
                        "its key is wrapped only in " + others + "; supported are " + EncryptedLayers.JWE_KEYS
                                + " and " + EncryptedLayers.PROVIDER_KEYS);
            }
            throw new LayerDecryptionException(LayerDecryptionException.Reason.INVALID, layer,
                    "encrypted, but no " + EncryptedLayers.JWE_KEYS + " or " + EncryptedLayers.PROVIDER_KEYS + " annotation");
        }
        List<String> failures = new ArrayList<>();
        if (jwes != null && !keys.isEmpty()) {
            byte[] opts = unwrapJwe(layer, jwes, keys, failures);
            if (opts != null) {
                source.accept("JWE, configured private key");
                return opts;
            }
        }
        if (provider != null && kbs != null) {
            byte[] opts = unwrapProvider(layer, provider, kbs);
            source.accept("key provider, KBS key-encryption key");
            return opts;
        }
        if (jwes != null && !keys.isEmpty()) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.WRONG_KEY, layer,
                    "none of the " + keys.keys().size() + " configured decryption key(s) unwraps its key"
                            + (failures.isEmpty() ? " (no recipient for their key type)" : " (" + String.join("; ", failures) + ")"));
        }
        throw new LayerDecryptionException(LayerDecryptionException.Reason.NO_KEY, layer,
                jwes != null ? "it is encrypted for JWE recipients, and no decryption key is configured"
                        : "it names a KBS key-encryption key, and no KBS is configured");
    }

    private byte[] unwrapJwe(Digest layer, String annotation, PrivateKeys keys, List<String> failures)
            throws LayerDecryptionException {
        String[] parts = annotation.split(",");
        if (parts.length > MAX_JWES) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.INVALID, layer,
                    "more than " + MAX_JWES + " wrapped keys");
        }
        for (String part : parts) {
            byte[] jwe = LayerCipher.base64(layer, part, EncryptedLayers.JWE_KEYS);
            List<Recipient> recipients = recipients(layer, jwe);
            for (PrivateKey key : keys.keys()) {
                for (Recipient r : recipients) {
                    String alg = String.valueOf(r.header().getAlgorithm());
                    if (!alg.startsWith(key instanceof ECPrivateKey ? "ECDH" : "RSA")) {
                        continue; // a recipient for another type of key
                    }
                    try {
                        return new Restricted(decrypter(key)).decrypt(r.header(), r.encryptedKey(), r.iv(),
                                r.ciphertext(), r.tag(), r.aad());
                    } catch (JOSEException | RuntimeException e) {
                        failures.add(key.getAlgorithm() + " key, " + r.header().getAlgorithm() + " recipient: "
                                + e.getMessage());
                    }
                }
            }
        }
        return null;
    }

    /** One recipient of a JWE in JSON serialization, its header the union of the shared and its own. */
    private record Recipient(JWEHeader header, Base64URL encryptedKey, Base64URL iv, Base64URL ciphertext,
                             Base64URL tag, byte[] aad) {
    }

    /**
     * The recipients of a general or flattened JWE JSON serialization (RFC 7516 §7.2): the header
     * each is decrypted with joins the protected header, the shared unprotected one and the
     * recipient's; the additional authenticated data is the protected header as sent (plus
     * {@code "." aad}).
     */
    private List<Recipient> recipients(Digest layer, byte[] jwe) throws LayerDecryptionException {
        try {
            JsonNode root = json.readTree(jwe);
            if (root == null || !root.isObject() || !root.path("protected").isTextual()) {
                throw new IllegalArgumentException("not a JWE in JSON serialization");
            }
            String protectedB64 = root.get("protected").asText();
            ObjectNode shared = (ObjectNode) json.readTree(new Base64URL(protectedB64).decode());
            if (root.path("unprotected").isObject()) {
                shared.setAll((ObjectNode) root.get("unprotected"));
            }
            String aad = protectedB64 + (root.path("aad").isTextual() ? "." + root.get("aad").asText() : "");
            List<JsonNode> entries = new ArrayList<>();
            if (root.path("recipients").isArray()) {
                root.get("recipients").forEach(entries::add);
            } else {
                entries.add(root);
            }
            List<Recipient> out = new ArrayList<>();
            for (JsonNode e : entries) {
                ObjectNode header = shared.deepCopy();
                if (e.path("header").isObject()) {
                    header.setAll((ObjectNode) e.get("header"));
                }
                out.add(new Recipient(JWEHeader.parse(header.toString()), b64url(e, "encrypted_key"),
                        b64url(root, "iv"), b64url(root, "ciphertext"), b64url(root, "tag"),
                        aad.getBytes(StandardCharsets.US_ASCII)));
            }
            return out;
        } catch (IOException | ParseException | RuntimeException e) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.INVALID, layer,
                    EncryptedLayers.JWE_KEYS + " holds a value that is not a JWE in JSON serialization", e);
        }
    }

    private static Base64URL b64url(JsonNode node, String field) {
        if (!node.path(field).isTextual()) {
            throw new IllegalArgumentException("JWE has no " + field);
        }
        return new Base64URL(node.get(field).asText());
    }

    private static JWEDecrypter decrypter(PrivateKey key) throws JOSEException {
        if (key instanceof ECPrivateKey ec) {
            return new ECDHDecrypter(ec);
        }
        return new RSADecrypter(key);
    }

    private byte[] unwrapProvider(Digest layer, String annotation, ResourceFetcher kbs) throws LayerDecryptionException {
        JsonNode packet;
        try {
            packet = json.readTree(LayerCipher.base64(layer, annotation, EncryptedLayers.PROVIDER_KEYS));
        } catch (IOException e) {
            packet = null;
        }
        if (packet == null || !packet.isObject()) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.INVALID, layer,
                    EncryptedLayers.PROVIDER_KEYS + " is not base64 JSON");
        }
        String provider = packet.path("provider").asText("kbs");
        String wrapType = packet.path("wrap_type").asText("");
        if (!provider.equals("kbs") || !wrapType.equals("A256GCM")) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.UNSUPPORTED, layer,
                    "key provider " + provider + " with wrap type \"" + wrapType + "\" (supported: kbs, A256GCM)");
        }
        KbsResourceUri kid;
        try {
            kid = KbsResourceUri.parse(packet.path("kid").asText(""));
        } catch (IllegalArgumentException e) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.INVALID, layer,
                    "key provider kid is not a kbs:/// resource: " + e.getMessage());
        }
        byte[] wrapped = LayerCipher.base64(layer, packet.path("wrapped_data").asText(""), "wrapped_data");
        byte[] iv = LayerCipher.base64(layer, packet.path("iv").asText(""), "iv");
        byte[] kek;
        try {
            kek = kbs.fetch(kid);
        } catch (IOException e) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.NO_KEY, layer,
                    "its key-encryption key " + kid + " is unavailable: " + e.getMessage(), e);
        }
        if (kek == null || kek.length != 32) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.WRONG_KEY, layer,
                    "key-encryption key " + kid + " is not a 32-byte AES key");
        }
        if (iv.length != 12) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.INVALID, layer,
                    "key provider iv is not 12 bytes");
        }
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            return gcm.doFinal(wrapped);
        } catch (GeneralSecurityException e) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.WRONG_KEY, layer,
                    "key-encryption key " + kid + " does not unwrap its key", e);
        }
    }

    /** Lets a decrypter handle only the algorithms ocicrypt writes, with A256GCM content. */
    private record Restricted(JWEDecrypter inner) implements JWEDecrypter {
        @Override
        public byte[] decrypt(JWEHeader header, Base64URL encryptedKey, Base64URL iv, Base64URL cipherText,
                              Base64URL authTag, byte[] aad) throws JOSEException {
            check(header);
            return inner.decrypt(header, encryptedKey, iv, cipherText, authTag, aad);
        }

        private static void check(JWEHeader header) throws JOSEException {
            if (!ALGORITHMS.contains(header.getAlgorithm())) {
                throw new JOSEException("key wrapping " + header.getAlgorithm() + " is not accepted");
            }
            if (!EncryptionMethod.A256GCM.equals(header.getEncryptionMethod())) {
                throw new JOSEException("content encryption " + header.getEncryptionMethod() + " is not accepted");
            }
        }

        @Override
        public Set<JWEAlgorithm> supportedJWEAlgorithms() {
            return ALGORITHMS;
        }

        @Override
        public Set<EncryptionMethod> supportedEncryptionMethods() {
            return Set.of(EncryptionMethod.A256GCM);
        }

        @Override
        public JWEJCAContext getJCAContext() {
            return inner.getJCAContext();
        }
    }
}
