package org.cvmagent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.store.Layer;

/**
 * The image config's {@code rootfs.diff_ids}: the digests of the layers' uncompressed tars, in
 * order. The signature covers the manifest, the manifest covers the config and the compressed
 * blobs, and only the config's diff_ids bind what is unpacked — so a rootfs is used only when
 * every unpacked layer matches its diff_id, as containerd and CoCo's image-rs check.
 */
final class RootfsDiffIds {
    private final List<Digest> diffIds;

    private RootfsDiffIds(List<Digest> diffIds) {
        this.diffIds = List.copyOf(diffIds);
    }

    static RootfsDiffIds parse(ObjectMapper json, byte[] config) throws IOException {
        JsonNode ids = json.readTree(config).path("rootfs").path("diff_ids");
        if (!ids.isArray()) {
            throw new IOException("the image config has no rootfs.diff_ids array");
        }
        List<Digest> parsed = new ArrayList<>();
        for (JsonNode id : ids) {
            if (!id.isTextual()) {
                throw new IOException("rootfs.diff_ids holds a non-string: " + id);
            }
            try {
                parsed.add(Digest.parse(id.asText()));
            } catch (IllegalArgumentException e) {
                throw new IOException("rootfs.diff_ids: " + e.getMessage(), e);
            }
        }
        return new RootfsDiffIds(parsed);
    }

    /** Checks before any layer is fetched that the config lists one diff_id per manifest layer. */
    void checkCount(ImageReference ref, int layers) throws PullException {
        if (diffIds.size() != layers) {
            throw new PullException(PullException.Reason.INVALID_CONTENT, ref + ": the config lists " + diffIds.size()
                    + " rootfs.diff_ids for " + LayerCount.of(layers), null);
        }
    }

    /** Checks every unpacked layer against its diff_id. */
    void verify(ImageReference ref, List<Layer> layers) throws PullException {
        checkCount(ref, layers.size());
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            if (!layer.diffId().equals(diffIds.get(i))) {
                throw new PullException(PullException.Reason.DIGEST_MISMATCH, ref + ": layer " + (i + 1) + " ("
                        + layer.digest() + ") unpacks to " + layer.diffId() + " but the config's rootfs.diff_ids["
                        + i + "] is " + diffIds.get(i), null);
            }
        }
    }
}
