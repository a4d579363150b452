package org.cvmagent.image.signature;

import java.util.Map;

/** One sigstore signature attached to an image: a layer of the {@code sha256-<hex>.sig} manifest. */
public record SigstoreSignature(String mediaType, byte[] payload, Map<String, String> annotations) {

    public static final String SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    public static final String CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
    public static final String CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
    public static final String BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";

    public SigstoreSignature {
        payload = payload.clone();
        annotations = Map.copyOf(annotations);
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }
}
