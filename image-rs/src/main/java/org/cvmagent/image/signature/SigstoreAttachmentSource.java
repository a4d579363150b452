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
 * {@code use-sigstore-attachments: true}, as in containers/image. Also reads cosign v3's Sigstore
 * bundles, attached through OCI 1.1 referrers ({@link #sigstoreBundles}).
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

    static final int MAX_REFERRERS = 16;

    /** The referrers tag scheme's tag of {@code manifestDigest} (OCI distribution 1.1, for registries without the API). */
    public static String referrersTag(String manifestDigest) {
        return manifestDigest.replace(':', '-');
    }

    /**
     * Sigstore bundles attached through OCI 1.1 referrers (cosign v3, BUNDLE_SPEC.md): the
     * referrers API's index of the manifest, or — where the registry has no such API and
     * registries.d sets {@code use-sigstore-attachments} — the index tagged {@code sha256-<hex>};
     * from it every manifest whose artifact type is a bundle media type, and its single bundle layer.
     */
    @Override
    public List<byte[]> sigstoreBundles(DockerReference ref, String manifestDigest) throws SignatureVerificationException {
        if (!ManifestDigest.isValid(manifestDigest)) {
            throw new SignatureVerificationException(Reason.INVALID_SIGNATURE, "invalid manifest digest " + manifestDigest);
        }
        DockerReference repository = DockerReference.parse(ref.name());
        Optional<byte[]> index;
        try {
            index = registry.referrers(repository, manifestDigest, SigstoreBundle.MEDIA_TYPE_V03);
            if (index.isEmpty() && config.useSigstoreAttachments(ref)) {
                index = registry.manifest(repository, referrersTag(manifestDigest));
            }
        } catch (IOException e) {
            throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                    "cannot fetch the referrers of " + ref.name() + "@" + manifestDigest + ": " + e.getMessage(), e);
        }
        if (index.isEmpty()) {
            return List.of();
        }
        List<byte[]> out = new ArrayList<>();
        for (JsonNode entry : referrerEntries(index.get())) {
            String digest = entry.path("digest").asText("");
            if (!ManifestDigest.isValid(digest)) {
                throw invalid("referrers index entry has an invalid digest");
            }
            try {
                Optional<byte[]> manifest = registry.manifest(repository, digest);
                if (manifest.isEmpty() || !ManifestDigest.bytesMatch(manifest.get(), digest)) {
                    throw invalid("referrer manifest " + digest + " is missing or does not match its digest");
                }
                bundleOf(repository, manifest.get(), manifestDigest).ifPresent(out::add);
            } catch (IOException e) {
                throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                        "cannot fetch referrer " + digest + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private List<JsonNode> referrerEntries(byte[] index) throws SignatureVerificationException {
        JsonNode root;
        try {
            root = json.readTree(index);
        } catch (IOException e) {
            throw invalid("referrers index is not valid JSON");
        }
        JsonNode manifests = root == null ? null : root.get("manifests");
        if (manifests == null || !manifests.isArray()) {
            throw invalid("referrers index has no manifests array");
        }
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode m : manifests) {
            // the API may ignore the artifactType filter, and the tag fallback lists every referrer
            if (SigstoreBundle.isBundleMediaType(m.path("artifactType").asText(""))) {
                if (out.size() == MAX_REFERRERS) {
                    throw invalid("more than " + MAX_REFERRERS + " Sigstore bundles are attached");
                }
                out.add(m);
            }
        }
        return out;
    }

    /** The bundle a referrer manifest carries, if it is a bundle artifact about {@code subject}. */
    private Optional<byte[]> bundleOf(DockerReference repository, byte[] manifest, String subject)
            throws SignatureVerificationException, IOException {
        JsonNode root;
        try {
            root = json.readTree(manifest);
        } catch (IOException e) {
            throw invalid("referrer manifest is not valid JSON");
        }
        String artifactType = root.path("artifactType").asText(root.path("config").path("mediaType").asText(""));
        if (!SigstoreBundle.isBundleMediaType(artifactType)) {
            return Optional.empty();
        }
        if (!subject.equals(root.path("subject").path("digest").asText(""))) {
            throw invalid("referrer manifest's subject is not the image manifest " + subject);
        }
        JsonNode layers = root.path("layers");
        if (!layers.isArray() || layers.size() != 1) {
            throw invalid("Sigstore bundle manifest must have exactly one layer");
        }
        JsonNode layer = layers.get(0);
        String digest = layer.path("digest").asText("");
        long size = layer.path("size").asLong(-1);
        if (!SigstoreBundle.isBundleMediaType(layer.path("mediaType").asText(""))) {
            throw invalid("Sigstore bundle layer has media type " + layer.path("mediaType").asText(""));
        }
        if (!ManifestDigest.isValid(digest) || size < 0 || size > SigstoreBundle.MAX_BYTES) {
            throw invalid("Sigstore bundle layer has an invalid digest or size");
        }
        byte[] bundle = registry.blob(repository, digest, size);
        if (bundle.length != size || !ManifestDigest.bytesMatch(bundle, digest)) {
            throw invalid("Sigstore bundle does not match its digest " + digest);
        }
        return Optional.of(bundle);
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
