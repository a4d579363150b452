package org.cvmagent.image;

/** A {@link ManifestVerifier} refused an image; the message is the reason shown to the shim. */
public class ImageRejectedException extends Exception {
    public ImageRejectedException(String reason) {
        super(reason);
    }

    public ImageRejectedException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
