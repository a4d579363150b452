package org.cvmagent.image.signature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory registry holding cosign signature attachments ({@code sha256-<hex>.sig} manifests
 * whose layers are simple-signing payloads), signed here with JDK keys the way cosign signs: the
 * transport is stubbed, the signatures and their verification are real.
 */
final class CosignAttachments implements RegistryReader {

    record Layer(String mediaType, byte[] payload, Map<String, String> annotations) {}

    private final Map<String, List<Layer>> byTag = new HashMap<>();
    private final Map<String, byte[]> blobs = new HashMap<>();
    final List<String> requestedTags = new CopyOnWriteArrayList<>();

    static String payload(String dockerReference, String manifestDigest, String type) {
        return "{\"critical\":{\"identity\":{\"docker-reference\":\"" + dockerReference + "\"},\"image\":"
                + "{\"docker-manifest-digest\":\"" + manifestDigest + "\"},\"type\":\"" + type + "\"},\"optional\":null}";
    }

    static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> "Ed25519";
        };
    }

    static String sign(PrivateKey key, byte[] payload) throws GeneralSecurityException {
        Signature s = Signature.getInstance(signatureAlgorithm(key));
        s.initSign(key);
        s.update(payload);
        return Base64.getEncoder().encodeToString(s.sign());
    }

    /** Attaches a cosign signature by {@code key} of a payload naming {@code identity} and {@code signedDigest}. */
    void attach(String attachedToDigest, PrivateKey key, String identity, String signedDigest)
            throws GeneralSecurityException {
        byte[] payload = payload(identity, signedDigest, SigningPayload.COSIGN_TYPE).getBytes(StandardCharsets.UTF_8);
        attachRaw(attachedToDigest, new Layer(SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE, payload,
                Map.of(SigstoreSignature.SIGNATURE_ANNOTATION, sign(key, payload))));
    }

    void attachRaw(String attachedToDigest, Layer layer) {
        byTag.computeIfAbsent(SigstoreAttachmentSource.signatureTag(attachedToDigest), t -> new ArrayList<>()).add(layer);
        blobs.put(ManifestDigest.of(layer.payload(), "sha256"), layer.payload());
    }

    /** Makes the registry serve different bytes for a payload blob than its digest names. */
    void corruptBlobs() {
        blobs.replaceAll((digest, data) -> {
            byte[] copy = data.clone();
            copy[copy.length - 2] ^= 1;
            return copy;
        });
    }

    @Override
    public Optional<byte[]> manifest(DockerReference repository, String tag) {
        requestedTags.add(repository + ":" + tag);
        List<Layer> layers = byTag.get(tag);
        if (layers == null) {
            return Optional.empty();
        }
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
                + "0".repeat(64) + "\",\"size\":2},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(l.mediaType()).append("\",\"digest\":\"")
                    .append(ManifestDigest.of(l.payload(), "sha256")).append("\",\"size\":").append(l.payload().length)
                    .append(",\"annotations\":{");
            int j = 0;
            for (Map.Entry<String, String> a : l.annotations().entrySet()) {
                sb.append(j++ == 0 ? "" : ",").append('"').append(a.getKey()).append("\":\"").append(a.getValue()).append('"');
            }
            sb.append("}}");
        }
        sb.append("]}");
        return Optional.of(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] blob(DockerReference repository, String digest, long maxBytes) throws IOException {
        byte[] data = blobs.get(digest);
        if (data == null) {
            throw new IOException("blob " + digest + " not found");
        }
        return data;
    }
}
