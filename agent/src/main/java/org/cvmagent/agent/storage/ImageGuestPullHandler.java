package org.cvmagent.agent.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.cvmagent.image.ImagePuller;
import org.cvmagent.image.LayerCount;
import org.cvmagent.image.PullException;
import org.cvmagent.image.PullOptions;
import org.cvmagent.image.PulledImage;
import org.cvmagent.image.bundle.ContainerRootfs;
import org.cvmagent.image.bundle.RootfsProvisioner;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.rpc.RpcException;

/**
 * kata's {@code image_guest_pull} driver: the container's image is pulled inside the guest (the
 * host is not trusted with it), checked against the signature policy before any layer is fetched,
 * and its rootfs is bound onto the storage's mount point. The driver option
 * {@code image_guest_pull=<JSON {"metadata": {...}}>} carries the CRI annotations; a sandbox
 * (pause) container uses the pause bundle shipped in the guest image, as kata does.
 */
public final class ImageGuestPullHandler implements StorageHandler {
    static final String DRIVER = "image_guest_pull";
    private static final String CONTAINER_TYPE = "io.kubernetes.cri.container-type";
    private static final System.Logger LOG = System.getLogger(ImageGuestPullHandler.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ImageStore store;
    private final RootfsProvisioner provisioner;
    private final Path pauseRootfs;
    private final Mounter mounter;

    /**
     * @param containersDir where each container's rootfs (overlay upper/work or copy) is kept
     * @param pauseRootfs   the rootfs of the pause bundle in the guest image (kata: /pause_bundle/rootfs)
     */
    public ImageGuestPullHandler(ImagePuller puller, RootfsProvisioner provisioner, Path containersDir,
                                 Path pauseRootfs, Mounter mounter, PullOptions options) {
        this(ImageStore.fixed(puller, containersDir, options), provisioner, pauseRootfs, mounter);
    }

    /**
     * @param store       the layer store, asked for at each pull (and set up at the first, when it
     *                    lives on an encrypted disk); a sandbox container does not touch it
     * @param pauseRootfs the rootfs of the pause bundle in the guest image (kata: /pause_bundle/rootfs)
     */
    public ImageGuestPullHandler(ImageStore store, RootfsProvisioner provisioner, Path pauseRootfs, Mounter mounter) {
        this.store = store;
        this.provisioner = provisioner;
        this.pauseRootfs = pauseRootfs;
        this.mounter = mounter;
    }

    @Override
    public List<String> drivers() {
        return List.of(DRIVER);
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        JsonNode metadata = metadata(request);
        if (metadata.path(CONTAINER_TYPE).asText("").equals("sandbox")) {
            if (!Files.isDirectory(pauseRootfs)) {
                throw new RpcException(Status.Code.FAILED_PRECONDITION, "image_guest_pull: the sandbox container "
                        + "needs the guest's pause bundle, and " + pauseRootfs + " does not exist");
            }
            return bind(pauseRootfs, request, () -> { });
        }
        String source = request.storage().getSource();
        ImageReference reference;
        try {
            reference = ImageReference.parse(source);
        } catch (IllegalArgumentException e) {
            throw request.invalid("source", "'" + source + "' is not an image reference: " + e.getMessage());
        }
        ImageStore.Ready ready = store.ready();
        PulledImage image;
        try {
            image = ready.puller().pull(reference, ready.options(), event -> LOG.log(System.Logger.Level.DEBUG,
                    "pull " + reference + ": " + event));
        } catch (PullException e) {
            throw status(e, reference);
        }
        Files.createDirectories(ready.containersDir());
        Path containerDir = ready.containersDir().resolve(UUID.randomUUID().toString());
        ContainerRootfs rootfs = provisioner.create(image.layers(), containerDir);
        LOG.log(System.Logger.Level.INFO, "pulled " + reference + " (" + image.manifestDigest() + ", "
                + LayerCount.of(image.layers().size()) + ") as a " + rootfs.kind() + " rootfs for " + request.owner());
        try {
            return bind(rootfs.rootfs(), request, () -> provisioner.remove(rootfs));
        } catch (IOException | RuntimeException e) {
            provisioner.remove(rootfs);
            throw e;
        }
    }

    private interface Cleanup {
        void run() throws IOException;
    }

    private MountedStorage bind(Path rootfs, StorageRequest request, Cleanup after) throws IOException {
        mounter.mount(rootfs.toString(), request.target(), "bind", MountOptions.parse(List.of())
                .withFlags(MountOptions.MS_BIND));
        return () -> {
            mounter.unmount(request.target());
            after.run();
        };
    }

    private static JsonNode metadata(StorageRequest request) throws RpcException {
        for (String option : request.storage().getDriverOptionsList()) {
            int eq = option.indexOf('=');
            if (eq > 0 && option.substring(0, eq).equals(DRIVER)) {
                try {
                    return JSON.readTree(option.substring(eq + 1)).path("metadata");
                } catch (IOException e) {
                    throw request.invalid("driver_options", "image_guest_pull's value is not JSON: " + e.getMessage());
                }
            }
        }
        throw request.invalid("driver_options", "missing the image_guest_pull=<JSON> option kata's shim sends");
    }

    /** The pull's failure as the status the shim reports, with its reason in words. */
    static RpcException status(PullException e, ImageReference reference) {
        Status.Code code = switch (e.reason()) {
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case AUTH -> Status.Code.UNAUTHENTICATED;
            case REJECTED_BY_POLICY -> Status.Code.PERMISSION_DENIED;
            case DIGEST_MISMATCH, UNSAFE_LAYER, INVALID_CONTENT -> Status.Code.DATA_LOSS;
            case INVALID_REFERENCE, UNSUPPORTED_MEDIA_TYPE -> Status.Code.INVALID_ARGUMENT;
            case NETWORK -> Status.Code.UNAVAILABLE;
            case STORAGE -> Status.Code.INTERNAL;
            // no key, wrong key, tampered or unsupported encryption: the message says which layer and why
            case DECRYPTION -> Status.Code.FAILED_PRECONDITION;
        };
        return new RpcException(code, "image_guest_pull " + reference + ": " + e.getMessage(), e);
    }
}
