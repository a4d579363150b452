package org.cvmagent.image.signature;

import java.io.IOException;
import java.util.Optional;

/**
 * The registry operations sigstore attachments need; the registry client implements it with its
 * own authentication, TLS and retry settings.
 */
public interface RegistryReader {

    /** The manifest tagged {@code tag} in {@code repository}'s repository, or empty when the tag does not exist. */
    Optional<byte[]> manifest(DockerReference repository, String tag) throws IOException;

    /** The blob {@code digest} of {@code repository}'s repository, at most {@code maxBytes} long. */
    byte[] blob(DockerReference repository, String digest, long maxBytes) throws IOException;
}
