package org.cvmagent.image.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.cvmagent.image.decrypt.EncryptedLayers;
import org.cvmagent.image.registry.Digest;

/**
 * Keys and tampering for images skopeo encrypts ({@link LocalRegistry#copyEncrypted}): shared by
 * image-rs's host-level pulls and the guest's, so both attack the same way.
 */
public final class EncryptedImages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EncryptedImages() {
    }

    /** A fresh RSA-2048 pair: skopeo's {@code jwe:} recipients take its public half as PEM. */
    public static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    /** DER as PEM, 64 columns: {@code PUBLIC KEY} (SPKI) for skopeo, {@code PRIVATE KEY} (PKCS#8) for the KBS. */
    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Writes the public half of {@code pair} as PEM to {@code file}, for {@code --encryption-key jwe:FILE}. */
    public static Path writePublicKey(Path file, KeyPair pair) throws IOException {
        return Files.writeString(file, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    }

    /** The private half of {@code pair} as PEM PKCS#8, the form a KBS resource holds. */
    public static byte[] privateKeyPem(KeyPair pair) {
        return pem("PRIVATE KEY", pair.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Flips a byte of the first layer's ciphertext in an OCI layout and re-digests it in the
     * manifest (and the manifest in index.json): what a registry that rewrites content would
     * serve. Every digest then matches, so only the layer's HMAC can catch the change.
     *
     * @return the tampered layer's new digest
     */
    public static Digest reDigestTamperedFirstLayer(Path layout) throws IOException {
        ObjectNode index = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
        ObjectNode ref = (ObjectNode) index.path("manifests").get(0);
        Path manifestFile = blob(layout, ref.path("digest").asText());
        ObjectNode manifest = (ObjectNode) JSON.readTree(manifestFile.toFile());
        ObjectNode layer = (ObjectNode) manifest.path("layers").get(0);
        assertTrue(EncryptedLayers.isEncrypted(layer.path("mediaType").asText()), layer.toString());
        byte[] data = Files.readAllBytes(blob(layout, layer.path("digest").asText()));
        data[data.length / 2] ^= 0x01;
        Digest tampered = Digest.sha256(data);
        Files.write(blob(layout, tampered.toString()), data);
        layer.put("digest", tampered.toString());
        byte[] m = JSON.writeValueAsBytes(manifest);
        Digest md = Digest.sha256(m);
        Files.write(blob(layout, md.toString()), m);
        ref.put("digest", md.toString()).put("size", m.length);
        JSON.writeValue(layout.resolve("index.json").toFile(), index);
        return tampered;
    }

    private static Path blob(Path layout, String digest) {
        return layout.resolve("blobs/sha256").resolve(Digest.parse(digest).hex());
    }
}
