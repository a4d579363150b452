package org.cvmagent.image.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Reads cosign signatures attached in the registry: the manifest tagged {@code sha256-<hex>.sig}
 * in the image's repository, whose layers are signature payloads with the signature and optional
 * certificate, chain and bundle in annotations. Used only where registries.d sets
 * {@code use-sigstore-attachments: true}, as in containers/image.
 */
public final class SigstoreAttachmentSource implements SigstoreSignatureSource {

    static final int MAX_LAYERS = 128;
    static final long MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

    private final RegistriesConfig config;
    private final RegistryReader registry;
    private final ObjectMapper json = new ObjectMapper();

    public SigstoreAttachmentSource(RegistriesConfig config, RegistryReader registry) {
        this.config = Objects.requireNonNull(config);
        this.registry = Objects.requireNonNull(registry);
    }

    /** The tag cosign attaches signatures of {@code manifestDigest} under. */
    public static String signatureTag(String manifestDigest) {
        return manifestDigest.replace(':', '-') + ".sig";
    }

    @Override
    public List<SigstoreSignature> sigstoreSignatures(DockerReference ref, String manifestDigest)
            throws SignatureVerificationException {
        if (!config.useSigstoreAttachments(ref)) {
            return List.of();
        }
        if (!ManifestDigest.isValid(manifestDigest)) {
            throw new SignatureVerificationException(Reason.INVALID_SIGNATURE, "invalid manifest digest " + manifestDigest);
        }
        DockerReference repository = DockerReference.parse(ref.name());
        Optional<byte[]> manifest;
        try {
            manifest = registry.manifest(repository, signatureTag(manifestDigest));
        } catch (IOException e) {
            throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                    "cannot fetch sigstore signatures of " + ref.name() + ": " + e.getMessage(), e);
        }
        if (manifest.isEmpty()) {
            return List.of();
        }
        return parse(repository, manifest.get());
    }

    private List<SigstoreSignature> parse(DockerReference repository, byte[] manifest)
            throws SignatureVerificationException {
        JsonNode root;
        try {
            root = json.readTree(manifest);
        } catch (IOException e) {
            throw invalid("signature manifest is not valid JSON");
        }
        JsonNode layers = root == null ? null : root.get("layers");
        if (layers == null || !layers.isArray()) {
            throw invalid("signature manifest has no layers array");
        }
        if (layers.size() > MAX_LAYERS) {
            throw invalid("signature manifest has more than " + MAX_LAYERS + " layers");
        }
        List<SigstoreSignature> out = new ArrayList<>();
        for (JsonNode layer : layers) {
            String mediaType = layer.path("mediaType").asText("");
            String digest = layer.path("digest").asText("");
            long size = layer.path("size").asLong(-1);
            if (!ManifestDigest.isValid(digest) || size < 0 || size > MAX_PAYLOAD_BYTES) {
                throw invalid("signature layer has an invalid digest or size");
            }
            Map<String, String> annotations = new HashMap<>();
            JsonNode ann = layer.get("annotations");
            if (ann != null) {
                if (!ann.isObject()) {
                    throw invalid("signature layer annotations must be an object");
                }
                for (Map.Entry<String, JsonNode> e : ann.properties()) {
                    if (!e.getValue().isTextual()) {
                        throw invalid("signature layer annotation " + e.getKey() + " must be a string");
                    }
                    annotations.put(e.getKey(), e.getValue().asText());
                }
            }
            byte[] payload;
            try {
                payload = registry.blob(repository, digest, size);
            } catch (IOException e) {
                throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                        "cannot fetch signature payload " + digest + ": " + e.getMessage(), e);
            }
            // Checked here too: the payload is what the signature covers, so it must be the blob named.
            if (payload.length != size || !ManifestDigest.bytesMatch(payload, digest)) {
                throw invalid("signature payload does not match its digest " + digest);
            }
            out.add(new SigstoreSignature(mediaType, payload, annotations));
        }
        return out;
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }
}
