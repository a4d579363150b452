package org.cvmagent.agent.cgroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CgroupLocatorTest {

    @TempDir
    Path tmp;

    @Test
    void hybridHostGivesV1ControllersAndTheUnifiedDirectory() throws Exception {
        FakeTree tree = new FakeTree(tmp);
        String fs = tmp.resolve("sys/fs/cgroup").toString();
        String mountInfo = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
                + "31 23 0:28 / " + fs + " rw,relatime - tmpfs tmpfs rw,mode=755\n"
                + FakeTree.v1Mount(32, "/", fs + "/cpu,cpuacct", "rw,cpu,cpuacct")
                + FakeTree.v1Mount(35, "/", fs + "/memory", "rw,memory")
                + FakeTree.v1Mount(39, "/", fs + "/pids", "rw,pids")
                + FakeTree.v1Mount(40, "/", fs + "/systemd", "rw,xattr,name=systemd")
                + FakeTree.v2Mount(41, "/", fs + "/unified");
        CgroupLocator locator = tree.locator(4242, """
                9:name=systemd:/system.slice/c1
                8:pids:/pods/c1
                4:memory:/pods/c1
                2:cpu,cpuacct:/pods/c1
                0::/system.slice/c1
                """, mountInfo);

        CgroupPaths paths = locator.locate(4242);

        assertTrue(paths.isV1());
        assertEquals(Map.of(
                "cpu", Path.of(fs, "cpu,cpuacct/pods/c1"),
                "cpuacct", Path.of(fs, "cpu,cpuacct/pods/c1"),
                "memory", Path.of(fs, "memory/pods/c1"),
                "pids", Path.of(fs, "pids/pods/c1"),
                "name=systemd", Path.of(fs, "systemd/system.slice/c1")), paths.controllers());
        assertEquals(Optional.of(Path.of(fs, "unified/system.slice/c1")), paths.unified());
    }

    @Test
    void pureV2GuestGivesOnlyTheUnifiedDirectory() throws Exception {
        FakeTree tree = new FakeTree(tmp);
        String fs = tmp.resolve("sys/fs/cgroup").toString();
        CgroupLocator locator = tree.locator(7, "0::/kata/c1\n", FakeTree.v2Mount(30, "/", fs));

        CgroupPaths paths = locator.locate(7);

        assertFalse(paths.isV1());
        assertEquals(Optional.of(Path.of(fs, "kata/c1")), paths.unified());
    }

    @Test
    void rootCgroupIsTheMountPointItself() throws Exception {
        String fs = tmp.resolve("cg").toString();
        CgroupPaths paths = new FakeTree(tmp).locator(1, "0::/\n", FakeTree.v2Mount(30, "/", fs)).locate(1);
        assertEquals(Optional.of(Path.of(fs)), paths.unified());
    }

    @Test
    void mountOfASubtreeIsJoinedBelowItsRootAndOtherPathsAreSkipped() throws Exception {
        FakeTree tree = new FakeTree(tmp);
        String fs = tmp.resolve("mnt/memory").toString();
        String mountInfo = FakeTree.v1Mount(35, "/pods", fs, "rw,memory")
                + FakeTree.v1Mount(39, "/elsewhere", tmp.resolve("mnt/pids").toString(), "rw,pids");
        CgroupPaths paths = tree.locator(5, "8:pids:/pods/c1\n4:memory:/pods/c1\n", mountInfo).locate(5);
        assertEquals(Map.of("memory", Path.of(fs, "c1")), paths.controllers());
        assertEquals(Optional.empty(), paths.unified());
    }

    @Test
    void escapedSpaceInMountPointIsDecoded() throws Exception {
        FakeTree tree = new FakeTree(tmp);
        String fs = tmp.resolve("my cgroups").toString();
        CgroupPaths paths = tree.locator(5, "0::/a\n", FakeTree.v2Mount(30, "/", fs.replace(" ", "\\040"))).locate(5);
        assertEquals(Optional.of(Path.of(fs, "a")), paths.unified());
    }

    @Test
    void missingProcessIsNoSuchFile() {
        FakeTree tree = new FakeTree(tmp);
        tree.write("proc/self/mountinfo", "");
        CgroupLocator locator = new CgroupLocator(tmp.resolve("proc"), tmp.resolve("proc/self/mountinfo"));
        assertThrows(NoSuchFileException.class, () -> locator.locate(99));
        assertThrows(IllegalArgumentException.class, () -> locator.locate(0));
    }

    @Test
    void realProcessOfThisHostHasAMemoryCgroupWithStats() throws Exception {
        CgroupPaths paths = CgroupLocator.system().locate(ProcessHandle.current().pid());
        Path memory = paths.controller("memory")
                .orElseGet(() -> paths.unified().orElseThrow());
        assertTrue(Files.isRegularFile(memory.resolve("memory.stat")), memory::toString);
    }
}
