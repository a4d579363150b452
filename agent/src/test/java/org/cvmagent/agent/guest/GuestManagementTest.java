package org.cvmagent.agent.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cvmagent.proto.agent.OnlineCPUMemRequest;
import org.cvmagent.proto.agent.VolumeStatsResponse;
import org.cvmagent.proto.agent.VolumeUsage;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Guest management on a fake sysfs tree (the real one cannot be changed in CI) and real statfs/proc. */
class GuestManagementTest {
    @TempDir
    Path dir;
    private Path sysfs;
    private Path random;
    private GuestManagement guest;

    @BeforeEach
    void tree() throws Exception {
        sysfs = dir.resolve("sys");
        for (int i = 0; i < 4; i++) {
            Path cpu = Files.createDirectories(sysfs.resolve("devices/system/cpu/cpu" + i));
            if (i > 0) {
                Files.writeString(cpu.resolve("online"), i == 1 ? "1\n" : "0\n");
            }
        }
        for (int i = 0; i < 3; i++) {
            Files.writeString(Files.createDirectories(sysfs.resolve("devices/system/memory/memory" + i))
                    .resolve("online"), i == 0 ? "1\n" : "0\n");
        }
        random = Files.createFile(dir.resolve("random"));
        guest = new GuestManagement(sysfs, random);
    }

    private String online(String path) throws Exception {
        return Files.readString(sysfs.resolve(path).resolve("online")).strip();
    }

    @Test
    void offlineCpusAndMemoryComeOnline() throws Exception {
        guest.onlineCpuMem(OnlineCPUMemRequest.newBuilder().setNbCpus(1).setCpuOnly(true).build());
        assertEquals("1", online("devices/system/cpu/cpu2"));
        assertEquals("0", online("devices/system/cpu/cpu3"), "only as many as asked");
        assertEquals("0", online("devices/system/memory/memory1"), "cpu_only leaves memory alone");
        guest.onlineCpuMem(OnlineCPUMemRequest.getDefaultInstance());
        assertEquals("1", online("devices/system/cpu/cpu3"));
        assertEquals("1", online("devices/system/memory/memory1"));
        assertEquals("1", online("devices/system/memory/memory2"));
        RpcException late = assertThrows(RpcException.class, () -> guest.onlineCpuMem(
                OnlineCPUMemRequest.newBuilder().setNbCpus(2).setWait(true).setCpuOnly(true).build()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, late.code(), "no offline CPU ever appears");
    }

    @Test
    void v1PodCpusetsThatHadEveryCpuGetTheNewOnes() throws Exception {
        Path cpuset = Files.createDirectories(sysfs.resolve("fs/cgroup/cpuset"));
        Files.writeString(cpuset.resolve("cpuset.cpus"), "0-1\n");
        Files.writeString(Files.createDirectories(cpuset.resolve("kata_pod")).resolve("cpuset.cpus"), "0-1\n");
        Files.writeString(Files.createDirectories(cpuset.resolve("pinned")).resolve("cpuset.cpus"), "1\n");
        // what the kernel lists once cpu2 and cpu3 are up
        Files.writeString(sysfs.resolve("devices/system/cpu/online"), "0-3\n");
        guest.onlineCpuMem(OnlineCPUMemRequest.newBuilder().setCpuOnly(true).build());
        assertEquals("0-3", Files.readString(cpuset.resolve("kata_pod/cpuset.cpus")).strip());
        assertEquals("1", Files.readString(cpuset.resolve("pinned/cpuset.cpus")).strip(), "a pinned cgroup stays pinned");
    }

    @Test
    void probeWritesEachAddressInHex() throws Exception {
        Path probe = Files.createFile(sysfs.resolve("devices/system/memory/probe"));
        guest.memHotplugByProbe(List.of(0x100000000L));
        assertEquals("0x100000000", Files.readString(probe));
        Files.delete(probe);
        assertEquals(Status.Code.FAILED_PRECONDITION, assertThrows(RpcException.class,
                () -> guest.memHotplugByProbe(List.of(1L))).code());
    }

    @Test
    void entropyClockAndSwapValidateFirst() throws Exception {
        guest.reseedRandom(new byte[] {1, 2, 3});
        assertEquals(3, Files.size(random));
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> guest.reseedRandom(new byte[0])).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> guest.setDateTime(1_700_000_000L, 1_000_000)).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> guest.setDateTime(-1, 0)).code());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(RpcException.class,
                () -> guest.swapOn(dir.resolve("no-swap").toString())).code());
        RpcException notSwap = assertThrows(RpcException.class, () -> guest.swapOn(random.toString()));
        assertEquals(Status.Code.INTERNAL, notSwap.code());
        assertTrue(notSwap.getMessage().contains("swapon"), notSwap.getMessage());
    }

    @Test
    void volumeStatsMatchTheFileSystem() throws Exception {
        VolumeStatsResponse stats = guest.volumeStats(dir.toString());
        FileStore store = Files.getFileStore(dir);
        VolumeUsage bytes = stats.getUsage(0);
        assertEquals(VolumeUsage.Unit.BYTES, bytes.getUnit());
        assertEquals(store.getTotalSpace(), bytes.getTotal());
        assertEquals(bytes.getTotal() - bytes.getAvailable(), bytes.getUsed());
        assertEquals(VolumeUsage.Unit.INODES, stats.getUsage(1).getUnit());
        assertTrue(stats.getUsage(1).getTotal() > 0 || store.type().equals("btrfs"), stats.toString());
        assertEquals("OK", stats.getVolumeCondition().getMessage());
        assertEquals(Status.Code.NOT_FOUND, assertThrows(RpcException.class,
                () -> guest.volumeStats(dir.resolve("gone").toString())).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> guest.volumeStats("relative")).code());
    }
}
