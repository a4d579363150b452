package org.cvmagent.agent.storage;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry serves kata's exact driver names, each once. */
class StorageHandlersTest {

    @Test
    void kataRegistryHasKatasDriverNames() {
        StorageHandlers handlers = StorageHandlers.kata(Mounter.load(), BlockDevices.system());
        assertEquals(List.of("blk", "ephemeral", "local", "mmioblk", "scsi", "virtio-fs", "watchable-bind"),
                handlers.drivers());
        assertTrue(handlers.forDriver("virtio-blk").isEmpty(), "kata has no virtio-blk storage driver");
    }

    @Test
    void twoHandlersForOneDriverAreRefused() {
        Mounter mounter = Mounter.load();
        assertThrows(IllegalArgumentException.class, () ->
                new StorageHandlers(List.of(new EphemeralHandler(mounter), new EphemeralHandler(mounter))));
    }

    @Test
    void blockDevicesRejectMalformedAddresses() {
        BlockDevices devices = new BlockDevices(Path.of("/nonexistent-sys"), Path.of("/dev"),
                java.time.Duration.ofMillis(10));
        for (String bad : List.of("", "/", "02//03", "0g", "02.8", "123")) {
            assertThrows(IllegalArgumentException.class, () -> devices.virtioBlkPci(bad), bad);
        }
    }
}
