package org.cvmagent.image.store;

import io.airlift.compress.v3.zstd.ZstdJavaInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.registry.RegistryException;

/** A layer's compression, from its media type (OCI and Docker). */
public enum Compression {
    NONE, GZIP, ZSTD;

    public static Compression forMediaType(String mediaType) throws RegistryException {
        return switch (mediaType == null ? "" : mediaType) {
            case MediaTypes.OCI_LAYER_TAR, MediaTypes.OCI_LAYER_NONDIST_TAR -> NONE;
            case MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_NONDIST_GZIP, MediaTypes.DOCKER_LAYER_GZIP,
                 MediaTypes.DOCKER_FOREIGN_LAYER_GZIP -> GZIP;
            case MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER_NONDIST_ZSTD -> ZSTD;
            default -> throw new RegistryException(RegistryException.Reason.UNSUPPORTED_MEDIA_TYPE,
                    "layer media type " + mediaType);
        };
    }

    /** The decompressed tar stream over {@code in}. */
    public InputStream decompress(InputStream in) throws IOException {
        InputStream buffered = new BufferedInputStream(in, 1 << 16);
        return switch (this) {
            case NONE -> buffered;
            // Concatenated members are valid gzip (pigz, some builders write them).
            case GZIP -> new BufferedInputStream(GzipCompressorInputStream.builder().setInputStream(buffered)
                    .setDecompressConcatenated(true).get(), 1 << 16);
            case ZSTD -> new BufferedInputStream(new ZstdJavaInputStream(buffered), 1 << 16);
        };
    }
}
