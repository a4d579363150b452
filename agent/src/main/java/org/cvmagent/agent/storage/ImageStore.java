package org.cvmagent.agent.storage;

import java.io.IOException;
import java.nio.file.Path;
import org.cvmagent.image.ImagePuller;
import org.cvmagent.image.PullOptions;
import org.cvmagent.rpc.RpcException;

/**
 * Where images pulled in the guest live: the puller over the layer store, the directory of the
 * containers' rootfs (overlay upper/work dirs or copies), and the pull options whose unpack bounds
 * fit that place. Asked for at every pull, so a store that needs setting up (the encrypted disk of
 * {@link EncryptedImageStore}) is set up at the first pull, not when the agent starts.
 */
@FunctionalInterface
public interface ImageStore {

    /** A usable store. */
    record Ready(ImagePuller puller, Path containersDir, PullOptions options) {
    }

    /**
     * The store, set up if this is the first use.
     *
     * @throws RpcException FAILED_PRECONDITION when the configured store cannot be used, naming the
     *                      setting and why; pulls then fail rather than fall back to guest RAM
     */
    Ready ready() throws RpcException, IOException;

    /** A store that is ready from the start (on the agent's state tmpfs: guest RAM). */
    static ImageStore fixed(ImagePuller puller, Path containersDir, PullOptions options) {
        Ready ready = new Ready(puller, containersDir, options);
        return () -> ready;
    }
}
