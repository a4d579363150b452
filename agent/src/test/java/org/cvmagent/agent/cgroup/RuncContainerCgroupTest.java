package org.cvmagent.agent.cgroup;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.cvmagent.agent.oci.OciSpecTranslator;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.agent.process.Stdio;
import org.cvmagent.agent.runtime.CreatedContainer;
import org.cvmagent.agent.runtime.Runc;
import org.cvmagent.proto.agent.CgroupStats;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxMemory;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.LinuxPids;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.NetworkStats;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.User;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real runc container (busybox-static rootfs, every child through our spawner and reaper), as
 * StatsContainer and GetOOMEvent will see it: its init's cgroups are located, its CgroupStats
 * show the limits of its spec, and its OOM kill is reported.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RuncContainerCgroupTest {

    private static final Path RUNC = Path.of("/usr/sbin/runc");

    @TempDir
    Path dir;

    private Reaper reaper;
    private Runc runc;
    private OomMonitor monitor;

    @BeforeEach
    void setUp() throws IOException {
        // scripts/setup installs both
        assertTrue(Files.isExecutable(RUNC) && Files.isExecutable(Path.of("/bin/busybox")), "runc or busybox missing: run scripts/setup");
        reaper = Reaper.start();
        reaper.becomeSubreaper();
        PosixSpawner spawner = new PosixSpawner(reaper);
        runc = new Runc(spawner, new CommandRunner(spawner), RUNC, dir.resolve("state"), Duration.ofSeconds(30));
        monitor = OomMonitor.start(CgroupLocator.system(), OomMonitor.DEFAULT_INTERVAL);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (monitor != null) {
            monitor.close();
        }
        if (reaper != null) {
            reaper.close();
        }
    }

    private Path bundle(String script, String cgroupsPath) throws IOException {
        Path bundle = dir.resolve("bundle");
        Path rootfs = bundle.resolve("rootfs");
        for (String d : new String[] {"bin", "proc", "dev", "sys", "tmp"}) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : new String[] {"sh", "tail"}) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Spec spec = Spec.newBuilder()
                .setVersion("1.0.2")
                .setProcess(org.cvmagent.proto.agent.Process.newBuilder()
                        .addArgs("/bin/sh").addArgs("-c").addArgs(script)
                        .addEnv("PATH=/bin").setCwd("/")
                        .setUser(User.newBuilder().setUID(0).setGID(0))
                        .setNoNewPrivileges(true))
                .setRoot(Root.newBuilder().setPath(rootfs.toString()))
                .setHostname("c1")
                .addMounts(Mount.newBuilder().setDestination("/proc").setSource("proc").setType("proc"))
                .addMounts(Mount.newBuilder().setDestination("/dev").setSource("tmpfs").setType("tmpfs")
                        .addOptions("nosuid").addOptions("mode=755"))
                .setLinux(Linux.newBuilder()
                        .setCgroupsPath(cgroupsPath)
                        .setResources(LinuxResources.newBuilder()
                                .setMemory(LinuxMemory.newBuilder().setLimit(32L << 20).setSwap(32L << 20))
                                .setPids(LinuxPids.newBuilder().setLimit(64)))
                        .addNamespaces(LinuxNamespace.newBuilder().setType("pid"))
                        .addNamespaces(LinuxNamespace.newBuilder().setType("ipc"))
                        .addNamespaces(LinuxNamespace.newBuilder().setType("uts"))
                        .addNamespaces(LinuxNamespace.newBuilder().setType("mount")))
                .build();
        new ObjectMapper().writeValue(bundle.resolve("config.json").toFile(), new OciSpecTranslator().translate(spec));
        return bundle;
    }

    @Test
    void statsOfTheContainerAndItsOomKill() throws Exception {
        String id = "oom-" + UUID.randomUUID().toString().substring(0, 8);
        // Top level, so that runc delete removes every directory it made.
        String cgroupsPath = "/cvm-agent-test-" + id;
        CreatedContainer c = runc.create(id, bundle("exec tail /dev/zero", cgroupsPath), Stdio.NULL, Stdio.NULL, Stdio.NULL);
        CompletableFuture<ExitStatus> exit = reaper.expect(c.initPid());
        try {
            // The init waits in runc init, already in the container's cgroups: register before start.
            CgroupPaths paths = CgroupLocator.system().locate(c.initPid());
            Path memory = paths.isV1() ? paths.controller("memory").orElseThrow() : paths.unified().orElseThrow();
            assertTrue(memory.endsWith(cgroupsPath.substring(1)), memory::toString);

            CgroupStats stats = CgroupStatsReader.system().read(paths);
            assertEquals(32L << 20, stats.getMemoryStats().getUsage().getLimit(), stats::toString);
            assertEquals(64, stats.getPidsStats().getLimit(), stats::toString);
            assertTrue(stats.getPidsStats().getCurrent() >= 1, stats::toString);
            List<NetworkStats> network = new NetworkStatsReader(Path.of("/proc")).read(c.initPid());
            assertTrue(network.stream().anyMatch(n -> n.getName().equals("lo")), network::toString);

            monitor.register(id, c.initPid());
            runc.start(id);
            assertEquals(id, CompletableFuture.supplyAsync(() -> {
                try {
                    return monitor.next();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, command -> Thread.ofVirtual().start(command)).get(60, TimeUnit.SECONDS));
            assertEquals(137, exit.get(30, TimeUnit.SECONDS).kataCode());
        } finally {
            runc.delete(id, true);
        }
    }
}
