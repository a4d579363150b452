package org.cvmagent.agent.storage;

import org.cvmagent.proto.agent.Storage;

import java.util.List;

/** Test helper: kata Storage messages. */
final class StorageFixture {

    private StorageFixture() {
    }

    static Storage storage(String driver, String source, String fstype, String mountPoint, String... options) {
        return Storage.newBuilder().setDriver(driver).setSource(source).setFstype(fstype)
                .setMountPoint(mountPoint).addAllOptions(List.of(options)).build();
    }
}
