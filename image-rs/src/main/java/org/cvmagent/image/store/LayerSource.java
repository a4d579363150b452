package org.cvmagent.image.store;

import java.io.IOException;
import org.cvmagent.image.registry.VerifyingInputStream;

/** Opens a layer blob; the stream checks the digest, so the store only keeps verified content. */
@FunctionalInterface
public interface LayerSource {
    VerifyingInputStream open() throws IOException;
}
