package org.cvmagent.image.bundle;

import java.io.IOException;
import java.nio.file.Path;

/** Mounts and unmounts a container's overlay rootfs; the agent supplies one that runs through its spawner. */
public interface Mounter {
    void mountOverlay(String options, Path target) throws IOException;

    void unmount(Path target) throws IOException;

    /** mount(8)/umount(8) as plain child processes, for tools and tests outside the agent. */
    static Mounter commands() {
        return new CommandMounter();
    }
}
