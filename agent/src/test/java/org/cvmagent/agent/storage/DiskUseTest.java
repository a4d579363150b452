package org.cvmagent.agent.storage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which disks SecureMount may take, against a fake sysfs. */
class DiskUseTest {

    @TempDir
    Path dir;
    private DiskUse disks;

    @BeforeEach
    void sysfs() throws Exception {
        Path sys = dir.resolve("sys");
        Path dev = Files.createDirectories(dir.resolve("dev"));
        disk(sys, "vda", "254:0");
        Files.createDirectories(sys.resolve("class/block/vda/holders/dm-0"));
        disk(sys, "vdb", "254:16");
        disk(sys, "vdc", "254:32");
        disk(sys, "vdd", "254:48");
        Files.createDirectories(sys.resolve("class/block/vdd/vdd1"));
        Files.writeString(sys.resolve("class/block/vdd/vdd1/partition"), "1\n");
        disk(sys, "dm-0", "253:0");
        for (String name : new String[] {"vda", "vdb", "vdc", "vdd", "dm-0"}) {
            Files.createFile(dev.resolve(name));
        }
        Files.writeString(dir.resolve("mountinfo"), "22 1 254:32 / /mnt rw - ext4 /dev/vdc rw\n");
        disks = new DiskUse(sys, dev, dir.resolve("mountinfo"));
    }

    private static void disk(Path sys, String name, String majMin) throws Exception {
        Files.createDirectories(sys.resolve("class/block").resolve(name).resolve("holders"));
        Files.writeString(sys.resolve("class/block").resolve(name).resolve("dev"), majMin + "\n");
        Files.createDirectories(sys.resolve("dev/block").resolve(majMin));
        Files.writeString(sys.resolve("dev/block").resolve(majMin).resolve("uevent"),
                "MAJOR=254\nMINOR=16\nDEVNAME=" + name + "\nDEVTYPE=disk\n");
    }

    private String refused(String name) {
        return assertThrows(DiskUse.RefusedException.class, () -> disks.unusedDisk(name)).getMessage();
    }

    @Test
    void onlyAWholeDiskNobodyUses() throws Exception {
        assertEquals(dir.resolve("dev/vdb"), disks.unusedDisk("vdb"));
        assertEquals("vdb", disks.nameOf("254:16"));
        assertTrue(refused("vda").contains("in use by [dm-0]"), "the verity root disk");
        assertTrue(refused("vdc").contains("mounted"));
        assertTrue(refused("vdd").contains("partitions"));
        assertTrue(refused("dm-0").contains("guest's own"));
        assertTrue(refused("vdz").contains("no block device"));
        assertTrue(refused("..").contains("not a device name"));
        assertTrue(assertThrows(DiskUse.RefusedException.class, () -> disks.nameOf("9:9")).getMessage()
                .contains("no block device 9:9"));
    }
}
