package org.cvmagent.agent.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.cvmagent.agent.storage.MountOptions.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kata's option table (kata-sys-util parse_mount_options / parse_mount_flags). */
class MountOptionsTest {

    @ParameterizedTest
    @CsvSource({
            "ro, 1", "nosuid, 2", "nodev, 4", "noexec, 8", "sync, 16", "remount, 32", "mand, 64",
            "dirsync, 128", "noatime, 1024", "nodiratime, 2048", "bind, 4096", "rbind, 20480",
            "silent, 32768", "unbindable, 131072", "runbindable, 147456", "private, 262144",
            "rprivate, 278528", "slave, 524288", "rslave, 540672", "shared, 1048576",
            "rshared, 1064960", "relatime, 2097152", "iversion, 8388608", "strictatime, 16777216",
    })
    void settingFlags(String option, long flags) {
        MountOptions parsed = MountOptions.parse(List.of(option));
        assertEquals(flags, parsed.flags());
        assertEquals("", parsed.data());
    }

    @ParameterizedTest
    @CsvSource({
            "ro, rw", "nosuid, suid", "nodev, dev", "noexec, exec", "sync, async", "mand, nomand",
            "noatime, atime", "nodiratime, diratime", "relatime, norelatime",
            "strictatime, nostrictatime", "silent, loud", "iversion, noiversion",
    })
    void clearingFlagsUndoesTheirOpposite(String set, String clear) {
        assertEquals(0, MountOptions.parse(List.of(set, clear)).flags());
        assertTrue(MountOptions.parse(List.of(clear, set)).flags() != 0, "the later option wins");
    }

    @Test
    void unknownOptionsBecomeDataInOrder() {
        MountOptions parsed = MountOptions.parse(List.of("size=64m", "ro", "defaults", "mode=0755", "nosuid"));
        assertEquals(MS_RDONLY | MS_NOSUID, parsed.flags());
        assertEquals("size=64m,mode=0755", parsed.data());
    }

    @Test
    void propagationIsSplitFromTheMainCall() {
        MountOptions parsed = MountOptions.parse(List.of("rbind", "rslave", "ro"));
        assertEquals(MS_BIND | MS_REC | MS_RDONLY, parsed.mainFlags());
        assertEquals(MS_SLAVE | MS_REC, parsed.propagationFlags());
        assertEquals(0, MountOptions.parse(List.of("bind", "ro")).propagationFlags());
    }

    @Test
    void refusesLoopSmuggledCommasAndOversizedData() {
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(List.of("loop")));
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(List.of("size=1m,exec")));
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(List.of("")));
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(List.of("a\0b")));
        assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(List.of("x=" + "y".repeat(4100))));
    }
}
