package org.cvmagent.image.signature;

import java.util.List;

/**
 * Fetches the GPG simple-signing signatures stored for a manifest. Implementations return every
 * signature found (possibly none) and throw when the store could not be read, so that "unreadable"
 * is never confused with "unsigned".
 */
@FunctionalInterface
public interface SignatureSource {

    List<byte[]> simpleSignatures(DockerReference ref, String manifestDigest) throws SignatureVerificationException;
}
