package org.cvmagent.agent.service;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Memory facts of the guest from sysfs, read the way kata-agent reads them: the hotplug memory
 * block size (hex in {@code block_size_bytes}; 0 when the kernel has no memory hotplug) and
 * whether memory can be added by probe.
 */
public final class GuestMemoryInfo {

    private final Path memorySysfs;

    /** @param memorySysfs normally {@code /sys/devices/system/memory} */
    public GuestMemoryInfo(Path memorySysfs) {
        this.memorySysfs = memorySysfs;
    }

    public long blockSizeBytes() throws RpcException {
        Path file = memorySysfs.resolve("block_size_bytes");
        String text;
        try {
            text = Files.readString(file).trim();
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw RpcException.internal("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return Long.parseUnsignedLong(text, 16);
        } catch (NumberFormatException e) {
            throw RpcException.internal("unexpected content in " + file + ": '" + text + "'", e);
        }
    }

    public boolean supportsHotplugProbe() {
        return Files.exists(memorySysfs.resolve("probe"));
    }
}
