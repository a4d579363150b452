package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.util.List;

/**
 * Sets up one kind of storage, as one of kata's storage handlers does for the driver names it
 * lists ({@code Storage.driver}).
 */
public interface StorageHandler {

    /** Kata's driver names this handler serves, e.g. {@code virtio-fs}. */
    List<String> drivers();

    /**
     * Sets up {@code request.storage()} on {@code request.target()}.
     *
     * @throws RpcException INVALID_ARGUMENT naming the field for a bad request, NOT_FOUND for a
     *         device that did not appear in time
     * @throws IOException  when the system refused (the manager reports it as INTERNAL)
     */
    MountedStorage setUp(StorageRequest request) throws RpcException, IOException;
}
