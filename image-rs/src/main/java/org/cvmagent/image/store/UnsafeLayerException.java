package org.cvmagent.image.store;

import java.io.IOException;

/** A layer that was refused while unpacking; nothing of it is kept. */
public final class UnsafeLayerException extends IOException {
    /** What was wrong with the layer. */
    public enum Kind {
        /** An entry would be created outside the layer directory. */
        PATH_ESCAPE,
        /** More bytes or entries than the limits allow (decompression bomb). */
        LIMIT,
        /** A device node where the policy allows none. */
        DEVICE_NOT_ALLOWED,
        /** An entry the unpacker does not accept (unknown type, bad name, overlay xattr). */
        INVALID_ENTRY
    }

    private final Kind kind;
    private final String detail;

    public UnsafeLayerException(Kind kind, String message) {
        super("unsafe layer (" + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + "): " + message);
        this.kind = kind;
        this.detail = message;
    }

    /** The same refusal, naming the layer it was found in. */
    public UnsafeLayerException inLayer(String layer) {
        UnsafeLayerException named = new UnsafeLayerException(kind, "layer " + layer + ": " + detail);
        named.initCause(this);
        return named;
    }

    public Kind kind() {
        return kind;
    }
}
