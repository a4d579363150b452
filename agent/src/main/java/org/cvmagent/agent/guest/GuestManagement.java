package org.cvmagent.agent.guest;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.cvmagent.proto.agent.OnlineCPUMemRequest;
import org.cvmagent.proto.agent.VolumeCondition;
import org.cvmagent.proto.agent.VolumeStatsResponse;
import org.cvmagent.proto.agent.VolumeUsage;
import org.cvmagent.rpc.RpcException;

/**
 * kata's guest-management calls on the guest's own kernel interfaces: CPU and memory hotplug
 * through sysfs, entropy, the clock, volume statistics and swap. The sysfs root and devices are
 * injected so tests drive them on fake trees where the real ones cannot be changed.
 */
public final class GuestManagement {
    private static final Pattern CPU_DIR = Pattern.compile("cpu[0-9]+");
    private static final Pattern MEMORY_DIR = Pattern.compile("memory[0-9]+");
    private static final int MAX_ENTROPY = 64 * 1024;
    private static final Duration CPU_WAIT = Duration.ofSeconds(5);
    private static final Duration CPU_POLL = Duration.ofMillis(50);

    private final Path sysfs;
    private final Path random;
    private final GuestLibc libc;

    /** @param sysfs normally /sys; @param random normally /dev/random */
    public GuestManagement(Path sysfs, Path random) {
        this(sysfs, random, GuestLibc.load());
    }

    GuestManagement(Path sysfs, Path random, GuestLibc libc) {
        this.sysfs = sysfs;
        this.random = random;
        this.libc = libc;
    }

    /**
     * OnlineCPUMem: brings offline CPUs online (up to nb_cpus when set, waiting for hot-plugged ones
     * to appear when asked to), then every offline memory block unless cpu_only.
     */
    public void onlineCpuMem(OnlineCPUMemRequest req) throws RpcException {
        try {
            int wanted = req.getNbCpus();
            Optional<String> cpusBefore = v1RootCpus();
            long deadline = System.nanoTime() + CPU_WAIT.toNanos();
            int onlined = onlineAll(sysfs.resolve("devices/system/cpu"), CPU_DIR, wanted == 0 ? Integer.MAX_VALUE : wanted);
            while (req.getWait() && wanted > 0 && onlined < wanted && System.nanoTime() < deadline) {
                Thread.sleep(CPU_POLL.toMillis());
                onlined += onlineAll(sysfs.resolve("devices/system/cpu"), CPU_DIR, wanted - onlined);
            }
            if (req.getWait() && wanted > 0 && onlined < wanted) {
                throw new RpcException(Status.Code.DEADLINE_EXCEEDED, "OnlineCPUMem: " + onlined + " of " + wanted
                        + " CPUs came online within " + CPU_WAIT.toSeconds() + " s");
            }
            if (onlined > 0) {
                widenCpusets(cpusBefore);
            }
            if (!req.getCpuOnly()) {
                onlineAll(sysfs.resolve("devices/system/memory"), MEMORY_DIR, Integer.MAX_VALUE);
            }
        } catch (IOException e) {
            throw internal("OnlineCPUMem", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RpcException(Status.Code.CANCELLED, "OnlineCPUMem interrupted");
        }
    }

    /**
     * New CPUs reach the containers' cgroups. With cgroup v2 a cpuset that is not set inherits the
     * parent's effective CPUs, so nothing is written. With v1 the kernel widens only the root
     * cpuset: the direct children that had all the CPUs before (the pod's cgroups) get the newly
     * online set, as kata's agent updates them; a child pinned to fewer CPUs keeps its pinning.
     *
     * @param before the root cpuset's CPUs before onlining, empty without a v1 cpuset hierarchy
     */
    private void widenCpusets(Optional<String> before) throws IOException {
        if (before.isEmpty()) {
            return;
        }
        String online = Files.readString(sysfs.resolve("devices/system/cpu/online")).strip();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(cpusetV1(), Files::isDirectory)) {
            for (Path child : children) {
                Path cpus = child.resolve("cpuset.cpus");
                if (Files.isRegularFile(cpus) && Files.readString(cpus).strip().equals(before.get())) {
                    Files.writeString(cpus, online);
                }
            }
        }
    }

    private Path cpusetV1() {
        return sysfs.resolve("fs/cgroup/cpuset");
    }

    private Optional<String> v1RootCpus() throws IOException {
        Path root = cpusetV1().resolve("cpuset.cpus");
        return Files.isRegularFile(root) ? Optional.of(Files.readString(root).strip()) : Optional.empty();
    }

    /** Writes "1" to the online file of up to {@code max} offline entries; how many it onlined. */
    private static int onlineAll(Path dir, Pattern names, int max) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> names.matcher(p.getFileName().toString())
                .matches())) {
            s.forEach(entries::add);
        }
        entries.sort(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().replaceAll("\\D", ""))));
        int done = 0;
        for (Path e : entries) {
            if (done >= max) {
                break;
            }
            Path online = e.resolve("online");
            if (Files.exists(online) && Files.readString(online).strip().equals("0")) {
                Files.writeString(online, "1");
                done++;
            }
        }
        return done;
    }

    /** MemHotplugByProbe: each address written to the memory probe file, as the kernel wants it (0x...). */
    public void memHotplugByProbe(List<Long> addresses) throws RpcException {
        Path probe = sysfs.resolve("devices/system/memory/probe");
        if (!Files.exists(probe)) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "MemHotplugByProbe: " + probe
                    + " does not exist (a kernel without CONFIG_ARCH_MEMORY_PROBE)");
        }
        for (long a : addresses) {
            try {
                Files.writeString(probe, "0x" + Long.toHexString(a));
            } catch (IOException e) {
                throw internal("MemHotplugByProbe 0x" + Long.toHexString(a), e);
            }
        }
    }

    /**
     * ReseedRandomDev: the bytes are mixed into the kernel's pool through /dev/random but credited
     * with no entropy. kata also credits them (RNDADDTOENTCNT); in a confidential VM the host is
     * the adversary, so its bytes may stir the pool (mixing never weakens it) but must not count
     * towards the CRNG being seeded: that rests on the TEE's own sources (RDSEED, the TSC).
     */
    public void reseedRandom(byte[] data) throws RpcException {
        if (data.length == 0 || data.length > MAX_ENTROPY) {
            throw RpcException.invalidArgument("ReseedRandomDev: data must be 1 to " + MAX_ENTROPY + " bytes, got "
                    + data.length);
        }
        try {
            Files.write(random, data, java.nio.file.StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw internal("ReseedRandomDev", e);
        }
    }

    /** SetGuestDateTime: the realtime clock set, as settimeofday(2) does. */
    public void setDateTime(long seconds, long micros) throws RpcException {
        if (seconds < 0 || micros < 0 || micros > 999_999) {
            throw RpcException.invalidArgument("SetGuestDateTime: Sec " + seconds + " must not be negative and Usec "
                    + micros + " must be 0-999999");
        }
        try {
            libc.settimeofday(seconds, micros);
        } catch (IOException e) {
            throw internal("SetGuestDateTime", e);
        }
    }

    /** GetVolumeStats: bytes and inodes of the file system at the volume path, as kata reports them. */
    public VolumeStatsResponse volumeStats(String path) throws RpcException {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw RpcException.invalidArgument("GetVolumeStats: volume_guest_path " + path + " is not absolute");
        }
        if (!Files.exists(p)) {
            throw RpcException.notFound("GetVolumeStats: " + path + " does not exist");
        }
        try {
            GuestLibc.FsStats s = libc.statfs(path);
            long total = s.blocks() * s.blockSize();
            long available = s.freeBlocks() * s.blockSize();
            return VolumeStatsResponse.newBuilder()
                    .addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(total)
                            .setAvailable(available).setUsed(total - available))
                    .addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.INODES).setTotal(s.files())
                            .setAvailable(s.freeFiles()).setUsed(s.files() - s.freeFiles()))
                    .setVolumeCondition(VolumeCondition.newBuilder().setAbnormal(false).setMessage("OK"))
                    .build();
        } catch (IOException e) {
            throw internal("GetVolumeStats", e);
        }
    }

    /** AddSwapPath: swapon on a prepared swap file or device. */
    public void swapOn(String path) throws RpcException {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw RpcException.invalidArgument("AddSwapPath: " + path + " is not absolute");
        }
        try {
            if (!Files.exists(p)) {
                throw new NoSuchFileException(path);
            }
            libc.swapon(path);
        } catch (NoSuchFileException e) {
            throw RpcException.notFound("AddSwapPath: " + path + " does not exist");
        } catch (IOException e) {
            throw internal("AddSwapPath", e);
        }
    }

    private static RpcException internal(String what, IOException e) {
        return new RpcException(Status.Code.INTERNAL, what + ": " + e.getMessage(), e);
    }
}
