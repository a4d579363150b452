package org.cvmagent.agent.oci;

import org.cvmagent.proto.agent.Box;
import org.cvmagent.proto.agent.Hook;
import org.cvmagent.proto.agent.Hooks;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxBlockIO;
import org.cvmagent.proto.agent.LinuxCPU;
import org.cvmagent.proto.agent.LinuxCapabilities;
import org.cvmagent.proto.agent.LinuxDevice;
import org.cvmagent.proto.agent.LinuxDeviceCgroup;
import org.cvmagent.proto.agent.LinuxHugepageLimit;
import org.cvmagent.proto.agent.LinuxIDMapping;
import org.cvmagent.proto.agent.LinuxIntelRdt;
import org.cvmagent.proto.agent.LinuxInterfacePriority;
import org.cvmagent.proto.agent.LinuxMemory;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.LinuxNetwork;
import org.cvmagent.proto.agent.LinuxPids;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.LinuxSeccomp;
import org.cvmagent.proto.agent.LinuxSeccompArg;
import org.cvmagent.proto.agent.LinuxSyscall;
import org.cvmagent.proto.agent.LinuxThrottleDevice;
import org.cvmagent.proto.agent.LinuxWeightDevice;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.POSIXRlimit;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.User;

/** kata-shaped specs for the translator tests, built the way kata's runtime fills them. */
final class OciSpecSamples {

    private OciSpecSamples() {
    }

    /** The smallest spec a container can be created from. */
    static Spec.Builder minimal() {
        return Spec.newBuilder()
                .setVersion("1.1.0")
                .setProcess(org.cvmagent.proto.agent.Process.newBuilder()
                        .addArgs("/bin/true")
                        .setCwd("/"))
                .setRoot(Root.newBuilder().setPath("/run/kata-containers/c1/rootfs"));
    }

    /** Every field of kata's oci.proto set to a non-default value (matches full-config.json). */
    static Spec full() {
        return Spec.newBuilder()
                .setVersion("1.1.0")
                .setProcess(org.cvmagent.proto.agent.Process.newBuilder()
                        .setTerminal(true)
                        .setConsoleSize(Box.newBuilder().setHeight(40).setWidth(120))
                        .setUser(User.newBuilder().setUID(1000).setGID(1000)
                                // -2 is uint32 4294967294 on the wire
                                .addAdditionalGids(10).addAdditionalGids(-2)
                                .setUsername("app"))
                        .addArgs("/bin/sh").addArgs("-c").addArgs("echo hi")
                        .addEnv("PATH=/usr/bin:/bin").addEnv("TERM=xterm")
                        .setCwd("/work")
                        .setCapabilities(LinuxCapabilities.newBuilder()
                                .addBounding("CAP_CHOWN").addBounding("CAP_KILL")
                                .addEffective("CAP_KILL")
                                .addInheritable("CAP_NET_RAW")
                                .addPermitted("CAP_KILL").addPermitted("CAP_CHOWN")
                                .addAmbient("CAP_NET_BIND_SERVICE"))
                        .addRlimits(POSIXRlimit.newBuilder().setType("RLIMIT_NOFILE")
                                .setHard(1048576).setSoft(1024))
                        .addRlimits(POSIXRlimit.newBuilder().setType("RLIMIT_CORE")
                                .setHard(-1L).setSoft(-1L))
                        .setNoNewPrivileges(true)
                        .setApparmorProfile("cri-containerd.apparmor.d")
                        .setOOMScoreAdj(-998)
                        .setSelinuxLabel("system_u:system_r:container_t:s0:c1,c2"))
                .setRoot(Root.newBuilder().setPath("/run/kata-containers/c1/rootfs")
                        .setReadonly(true))
                .setHostname("pod-a")
                .addMounts(Mount.newBuilder().setDestination("/proc").setType("proc")
                        .setSource("proc").addOptions("nosuid").addOptions("noexec")
                        .addOptions("nodev"))
                .addMounts(Mount.newBuilder().setDestination("/etc/hostname")
                        .setType("bind").setSource("/run/kata-containers/shared/c1-hostname")
                        .addOptions("rbind").addOptions("ro"))
                .setHooks(Hooks.newBuilder()
                        .addPrestart(hook("/usr/bin/prestart", 5))
                        .addCreateRuntime(hook("/usr/bin/create-runtime", 6))
                        .addCreateContainer(hook("/usr/bin/create-container", 7))
                        .addStartContainer(hook("/usr/bin/start-container", 8))
                        .addPoststart(hook("/usr/bin/poststart", 9))
                        .addPoststop(hook("/usr/bin/poststop", 10)))
                .putAnnotations("io.kubernetes.cri.container-type", "container")
                .putAnnotations("io.katacontainers.pkg.oci.bundle_path", "/run/bundle")
                .setLinux(Linux.newBuilder()
                        .addUIDMappings(LinuxIDMapping.newBuilder().setHostID(100000)
                                .setContainerID(0).setSize(65536))
                        .addGIDMappings(LinuxIDMapping.newBuilder().setHostID(200000)
                                .setContainerID(1).setSize(65536))
                        .putSysctl("net.ipv4.ip_forward", "1")
                        .putSysctl("kernel.shm_rmid_forced", "1")
                        .setResources(LinuxResources.newBuilder()
                                .addDevices(LinuxDeviceCgroup.newBuilder().setAllow(false)
                                        .setAccess("rwm"))
                                .addDevices(LinuxDeviceCgroup.newBuilder().setAllow(true)
                                        .setType("c").setMajor(1).setMinor(3).setAccess("rwm"))
                                .addDevices(LinuxDeviceCgroup.newBuilder().setAllow(true)
                                        .setType("c").setMajor(136).setMinor(-1)
                                        .setAccess("rw"))
                                .setMemory(LinuxMemory.newBuilder().setLimit(536870912)
                                        .setReservation(268435456).setSwap(-1)
                                        .setKernel(67108864).setKernelTCP(16777216)
                                        .setSwappiness(60).setDisableOOMKiller(true))
                                .setCPU(LinuxCPU.newBuilder().setShares(1024).setQuota(-1)
                                        .setPeriod(100000).setRealtimeRuntime(950000)
                                        .setRealtimePeriod(1000000).setCpus("0-3").setMems("0"))
                                .setPids(LinuxPids.newBuilder().setLimit(1024))
                                .setBlockIO(LinuxBlockIO.newBuilder().setWeight(500)
                                        .setLeafWeight(300)
                                        .addWeightDevice(LinuxWeightDevice.newBuilder()
                                                .setMajor(8).setMinor(16).setWeight(600)
                                                .setLeafWeight(200))
                                        .addThrottleReadBpsDevice(throttle(8, 0, 104857600))
                                        .addThrottleWriteBpsDevice(throttle(8, 16, 52428800))
                                        .addThrottleReadIOPSDevice(throttle(8, 0, 1000))
                                        .addThrottleWriteIOPSDevice(throttle(8, 16, 500)))
                                .addHugepageLimits(LinuxHugepageLimit.newBuilder()
                                        .setPagesize("2MB").setLimit(209715200))
                                .setNetwork(LinuxNetwork.newBuilder().setClassID(1048577)
                                        .addPriorities(LinuxInterfacePriority.newBuilder()
                                                .setName("eth0").setPriority(500))))
                        .setCgroupsPath("/kubepods/besteffort/pod1/c1")
                        .addNamespaces(ns("pid", ""))
                        .addNamespaces(ns("network", "/var/run/netns/cni-1"))
                        .addNamespaces(ns("ipc", ""))
                        .addNamespaces(ns("uts", ""))
                        .addNamespaces(ns("mount", ""))
                        .addNamespaces(ns("user", ""))
                        .addNamespaces(ns("cgroup", ""))
                        .addDevices(LinuxDevice.newBuilder().setPath("/dev/fuse").setType("c")
                                .setMajor(10).setMinor(229).setFileMode(0666).setUID(0)
                                .setGID(0))
                        .addDevices(LinuxDevice.newBuilder().setPath("/dev/vdb").setType("b")
                                .setMajor(254).setMinor(16).setFileMode(0660).setUID(107)
                                .setGID(6))
                        .setSeccomp(LinuxSeccomp.newBuilder()
                                .setDefaultAction("SCMP_ACT_ERRNO")
                                .addArchitectures("SCMP_ARCH_X86_64")
                                .addArchitectures("SCMP_ARCH_X86")
                                .addFlags("SECCOMP_FILTER_FLAG_LOG")
                                .addSyscalls(LinuxSyscall.newBuilder().addNames("read")
                                        .addNames("write").setAction("SCMP_ACT_ALLOW"))
                                .addSyscalls(LinuxSyscall.newBuilder().addNames("personality")
                                        .setAction("SCMP_ACT_ALLOW")
                                        .addArgs(LinuxSeccompArg.newBuilder().setIndex(0)
                                                .setValue(0xffffffffL).setValueTwo(0)
                                                .setOp("SCMP_CMP_EQ")))
                                .addSyscalls(LinuxSyscall.newBuilder().addNames("prctl")
                                        .setAction("SCMP_ACT_LOG")
                                        .addArgs(LinuxSeccompArg.newBuilder().setIndex(1)
                                                .setValue(4).setValueTwo(0xff)
                                                .setOp("SCMP_CMP_MASKED_EQ")))
                                .addSyscalls(LinuxSyscall.newBuilder().addNames("clone3")
                                        .setAction("SCMP_ACT_ERRNO").setErrnoret(38))
                                .addSyscalls(LinuxSyscall.newBuilder().addNames("ptrace")
                                        .setAction("SCMP_ACT_ERRNO").setErrnoret(0)))
                        .setRootfsPropagation("rslave")
                        .addMaskedPaths("/proc/kcore").addMaskedPaths("/sys/firmware")
                        .addReadonlyPaths("/proc/sys").addReadonlyPaths("/proc/sysrq-trigger")
                        .setMountLabel("system_u:object_r:container_file_t:s0:c1,c2")
                        .setIntelRdt(LinuxIntelRdt.newBuilder().setL3CacheSchema("L3:0=ff")))
                .build();
    }

    static Hook hook(String path, long timeout) {
        return Hook.newBuilder().setPath(path).addArgs(path.substring(path.lastIndexOf('/') + 1))
                .addArgs("--flag").addEnv("HOOK=" + timeout).setTimeout(timeout).build();
    }

    static LinuxThrottleDevice throttle(long major, long minor, long rate) {
        return LinuxThrottleDevice.newBuilder().setMajor(major).setMinor(minor).setRate(rate)
                .build();
    }

    static LinuxNamespace ns(String type, String path) {
        return LinuxNamespace.newBuilder().setType(type).setPath(path).build();
    }
}
