package org.cvmagent.image.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/** An OCI content descriptor as it appears in manifests and indexes. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Descriptor(
        @JsonProperty("mediaType") String mediaType,
        @JsonProperty("digest") String digest,
        @JsonProperty("size") long size,
        @JsonProperty("platform") Platform platform,
        @JsonProperty("annotations") Map<String, String> annotations) {

    /** The digest, validated; a descriptor with a malformed one is invalid content. */
    public Digest parsedDigest() throws RegistryException {
        try {
            return Digest.parse(digest == null ? "" : digest);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(RegistryException.Reason.INVALID, "descriptor with digest " + digest, e);
        }
    }
}
