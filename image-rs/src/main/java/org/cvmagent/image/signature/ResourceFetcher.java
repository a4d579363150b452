package org.cvmagent.image.signature;

import java.io.IOException;

/**
 * Fetches a confidential resource from the KBS, e.g. {@code kbs:///default/security-policy/test}.
 * The attestation-agent implements it (attesting first); callers must treat what it returns as the
 * resource owner's data, and get an exception rather than empty bytes when it is unavailable.
 */
@FunctionalInterface
public interface ResourceFetcher {

    byte[] fetch(KbsResourceUri uri) throws IOException;
}
