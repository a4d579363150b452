package org.cvmagent.image.signature;

import java.io.IOException;
import java.util.Optional;

/**
 * The registry operations sigstore attachments need; the registry client implements it with its
 * own authentication, TLS and retry settings.
 */
public interface RegistryReader {

    /**
     * The manifest tagged {@code tag} (or, when it holds a ':', with that digest) in
     * {@code repository}'s repository, or empty when it does not exist.
     */
    Optional<byte[]> manifest(DockerReference repository, String tag) throws IOException;

    /** The blob {@code digest} of {@code repository}'s repository, at most {@code maxBytes} long. */
    byte[] blob(DockerReference repository, String digest, long maxBytes) throws IOException;

    /**
     * The OCI 1.1 referrers index of {@code digest} (an image index), filtered by
     * {@code artifactType} where the registry can; empty when the registry has no referrers API
     * (404), which is what a reader without it answers too.
     */
    default Optional<byte[]> referrers(DockerReference repository, String digest, String artifactType) throws IOException {
        return Optional.empty();
    }
}
