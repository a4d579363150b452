package org.cvmagent.image.registry;

/**
 * A manifest or index exactly as the registry served it, with the digest of those bytes (the
 * bytes are what signatures cover, so they are kept, never re-serialized).
 */
public record FetchedManifest(byte[] bytes, String mediaType, Digest digest) {
    public FetchedManifest {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(mediaType);
    }
}
