package org.cvmagent.agent.storage;

import java.io.IOException;

/** A block device the host announced did not appear within the wait (a NOT_FOUND for the caller). */
public final class DeviceNotFoundException extends IOException {

    public DeviceNotFoundException(String message) {
        super(message);
    }
}
