package org.cvmagent.agent.storage;

import org.cvmagent.attestation.cdh.ResourceUri;

import java.io.IOException;

/**
 * Fetches a persistent volume's key, a resource of the KBS the init-data names, through the
 * confidential data hub's {@code GetResource} (never from the host).
 */
@FunctionalInterface
public interface VolumeKeys {
    /** @throws IOException the data hub or the KBS did not deliver it */
    byte[] fetch(ResourceUri uri) throws IOException;
}
