package org.cvmagent.rootfs;

import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Process;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.agent.User;

import java.util.List;

/**
 * The requests a kata shim would send for a pod in the guest image. The image ships a busybox root
 * file system under {@code /opt/pod-share} (see rootfs/build); a {@code virtio-fs} storage with
 * fstype {@code bind} puts that directory where the shim's share of container root file systems
 * would be mounted, {@code /run/kata-containers/shared/containers}.
 */
final class GuestPodRequests {

    static final String SHARED = "/run/kata-containers/shared/containers";
    static final String BUSYBOX_ROOTFS = SHARED + "/busybox/rootfs";

    private GuestPodRequests() {
    }

    static CreateSandboxRequest sandbox(String id) {
        Storage share = Storage.newBuilder().setDriver("virtio-fs").setSource("/opt/pod-share").setFstype("bind")
                .addOptions("bind").setMountPoint(SHARED).build();
        return CreateSandboxRequest.newBuilder().setSandboxId(id).setHostname("guest-pod")
                .addDns("nameserver 10.96.0.10").addStorages(share).setSandboxPidns(true).build();
    }

    static Process process(String... args) {
        return Process.newBuilder().addAllArgs(List.of(args)).addEnv("PATH=/bin").addEnv("HOME=/").setCwd("/")
                .setUser(User.newBuilder().setUID(0).setGID(0)).build();
    }

    /** A container on the shipped busybox root file system, with kata's usual namespaces and mounts. */
    static CreateContainerRequest container(String id, Process process) {
        return container(id, process, BUSYBOX_ROOTFS);
    }

    /** A container whose root file system is at {@code rootPath} in the guest. */
    static CreateContainerRequest container(String id, Process process, String rootPath) {
        Linux.Builder linux = Linux.newBuilder().setCgroupsPath("/guest-pod/" + id)
                .addMaskedPaths("/proc/kcore").addReadonlyPaths("/proc/sys");
        for (String ns : new String[] {"pid", "ipc", "uts", "mount"}) {
            linux.addNamespaces(LinuxNamespace.newBuilder().setType(ns));
        }
        Spec spec = Spec.newBuilder().setVersion("1.0.2").setProcess(process)
                .setRoot(Root.newBuilder().setPath(rootPath))
                .setHostname("guest-pod")
                .addMounts(Mount.newBuilder().setDestination("/proc").setSource("proc").setType("proc"))
                .addMounts(Mount.newBuilder().setDestination("/dev").setSource("tmpfs").setType("tmpfs")
                        .addOptions("nosuid").addOptions("mode=755"))
                .addMounts(Mount.newBuilder().setDestination("/sys").setSource("sysfs").setType("sysfs")
                        .addOptions("nosuid").addOptions("noexec").addOptions("nodev").addOptions("ro"))
                .setLinux(linux).build();
        return CreateContainerRequest.newBuilder().setContainerId(id).setOCI(spec).setSandboxPidns(true).build();
    }

    /** A container whose rootfs comes from kata's image_guest_pull storage, as the shim sends it. */
    static CreateContainerRequest pulled(String id, String containerType, String image,
                                                 org.cvmagent.proto.agent.Process process) {
        String rootfs = "/run/kata-containers/" + id + "/rootfs";
        return container(id, process, rootfs).toBuilder()
                .addStorages(Storage.newBuilder().setDriver("image_guest_pull").setSource(image)
                        .addDriverOptions("image_guest_pull={\"metadata\":{\"io.kubernetes.cri.container-type\":\""
                                + containerType + "\"}}")
                        .setFstype("overlay").setMountPoint(rootfs))
                .build();
    }
}
