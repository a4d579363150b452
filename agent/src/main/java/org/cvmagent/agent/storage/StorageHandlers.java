package org.cvmagent.agent.storage;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The storage handlers by kata driver name; immutable once built. */
public final class StorageHandlers {

    private final Map<String, StorageHandler> byDriver;

    /** @throws IllegalArgumentException if two handlers claim the same driver name */
    public StorageHandlers(List<? extends StorageHandler> handlers) {
        Map<String, StorageHandler> map = new HashMap<>();
        for (StorageHandler handler : handlers) {
            for (String driver : handler.drivers()) {
                StorageHandler previous = map.putIfAbsent(driver, handler);
                if (previous != null) {
                    throw new IllegalArgumentException("storage driver " + driver + " is claimed by both "
                            + previous.getClass().getSimpleName() + " and " + handler.getClass().getSimpleName());
                }
            }
        }
        this.byDriver = Map.copyOf(map);
    }

    /**
     * Every handler this package has, under kata's driver names: {@code local}, {@code ephemeral},
     * {@code virtio-fs}, {@code watchable-bind}, {@code blk}, {@code mmioblk}, {@code scsi}.
     */
    public static StorageHandlers kata(Mounter mounter, BlockDevices devices) {
        return kata(mounter, devices, Optional.empty(), List.of());
    }

    /**
     * kata's drivers and {@code more} (image_guest_pull, which needs the image service); block
     * storages asking for ephemeral encryption use {@code scratch}.
     */
    public static StorageHandlers kata(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> scratch,
                                       List<StorageHandler> more) {
        return kata(mounter, devices, scratch, Optional.empty(), more);
    }

    /**
     * kata's drivers and {@code more}; block storages asking for encryption use {@code encryption},
     * with {@code keys} for {@code encryption_key=kbs:///…}.
     */
    public static StorageHandlers kata(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> scratch,
                                       Optional<VolumeKeys> keys, List<StorageHandler> more) {
        List<StorageHandler> all = new java.util.ArrayList<>(more);
        all.addAll(List.of(
                new LocalHandler(mounter),
                new EphemeralHandler(mounter),
                new VirtioFsHandler(mounter),
                new WatchableBindHandler(mounter),
                BlockHandler.virtioBlkPci(mounter, devices, scratch, keys),
                BlockHandler.virtioBlkMmio(mounter, devices, scratch, keys),
                BlockHandler.scsi(mounter, devices, scratch, keys)));
        return new StorageHandlers(all);
    }

    public Optional<StorageHandler> forDriver(String driver) {
        return Optional.ofNullable(byDriver.get(driver));
    }

    /** The driver names served, for messages. */
    public List<String> drivers() {
        return byDriver.keySet().stream().sorted().toList();
    }
}
