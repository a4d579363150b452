import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.ClientFactory;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Process;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.agent.User;
import org.cvmagent.transport.Transports;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * One pod through an agent that runs the staged guest image (rootfs/stage-agent), as kata's shim
 * drives it, over one connection: CreateSandbox (a virtio-fs storage with fstype bind from the
 * image's /opt/pod-share standing in for the shim's share, as GuestPodTest does), a pause container
 * and an app container on the image's busybox root file system (real runc), the app's output
 * (ReadStdout) and exit code (WaitProcess), an exec into the pause container with its output and
 * exit code; with IMAGE, a third container on that image, pulled by the agent (kata's
 * image_guest_pull storage), with its output and exit code; StatsContainer, RemoveContainer,
 * DestroySandbox. Every answer is checked; anything
 * unexpected exits 1 naming the step. Prints "STEP MS" per step: the call's round trip, measured in
 * this client (one JVM, one connection, so no CLI start in it). Used by rootfs/build's AOT training
 * run and by scripts/bench-native (the first pod's step latencies). Run as a source file:
 * {@code java -cp AGENT_JAR:LIB/* rootfs/StagePod.java ADDRESS [IMAGE]}, or {@code --policy-rules} for the
 * Rego rules that allow this pod (its ids start with "cvm-aot-training"; rootfs/build adds them to
 * the training run's genpolicy policy).
 */
public final class StagePod {

    static final String POD = "cvm-aot-training";
    static final String SHARED = "/run/kata-containers/shared/containers";
    /**
     * The pod's cgroup parent, in the host's cgroup tree (the agent runs in the host's cgroup
     * namespace): one per run, so that two builds on one machine do not share containers' cgroups.
     * runc removes each container's on delete; the callers remove what a failed run leaves
     * (/sys/fs/cgroup/cvm-stage-pod-*).
     */
    static final String CGROUP_PARENT = "/cvm-stage-pod-" + ProcessHandle.current().pid();

    static final String POLICY_RULES = """

            # rootfs/StagePod.java's pod only (the AOT cache's training run, scripts/bench-native).
            CreateSandboxRequest { input.sandbox_id == "cvm-aot-training" }
            CreateContainerRequest { startswith(input.container_id, "cvm-aot-training") }
            StartContainerRequest { startswith(input.container_id, "cvm-aot-training") }
            ExecProcessRequest { startswith(input.container_id, "cvm-aot-training") }
            ReadStreamRequest { startswith(input.container_id, "cvm-aot-training") }
            WaitProcessRequest { startswith(input.container_id, "cvm-aot-training") }
            StatsContainerRequest { startswith(input.container_id, "cvm-aot-training") }
            RemoveContainerRequest { startswith(input.container_id, "cvm-aot-training") }
            """;

    interface Step {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--policy-rules")) {
            System.out.print(POLICY_RULES);
            return;
        }
        if (args.length != 1 && args.length != 2) {
            System.err.println("usage: java -cp AGENT_JAR:LIB/* rootfs/StagePod.java ADDRESS [IMAGE] | --policy-rules");
            System.exit(2);
        }
        Duration timeout = Duration.ofSeconds(120);
        try (AgentClient client = new ClientFactory(new Transports()).connect(args[0], false, timeout)) {
            PodClient pod = new PodClient(client, timeout);
            step("Health", () -> client.call(HealthGrpc.getCheckMethod(), CheckRequest.getDefaultInstance(), timeout));
            step("CreateSandbox", () -> pod.createSandbox(CreateSandboxRequest.newBuilder().setSandboxId(POD)
                    .setHostname(POD).addDns("nameserver 10.96.0.10").setSandboxPidns(true)
                    .addStorages(Storage.newBuilder().setDriver("virtio-fs").setSource("/opt/pod-share")
                            .setFstype("bind").addOptions("bind").setMountPoint(SHARED))
                    .build()));
            step("CreateContainer", () -> pod.createContainer(container(POD, "sleep", "100000")));
            step("StartContainer", () -> pod.startContainer(POD));
            step("CreateContainer2", () -> pod.createContainer(
                    container(POD + "-app", "sh", "-c", "echo hello from $(hostname); exit 7")));
            step("StartContainer2", () -> pod.startContainer(POD + "-app"));
            step("ReadStdout", () -> expect("the app's output", "hello from " + POD + "\n",
                    new String(pod.readAll(POD + "-app", "", true), StandardCharsets.UTF_8)));
            step("WaitProcess", () -> expect("the app's exit code", 7, pod.waitProcess(POD + "-app", "")));
            step("ExecProcess", () -> pod.exec(POD, "hostname", process("hostname")));
            step("ReadStdout2", () -> expect("the exec's output", POD + "\n",
                    new String(pod.readAll(POD, "hostname", true), StandardCharsets.UTF_8)));
            step("WaitProcess2", () -> expect("the exec's exit code", 0, pod.waitProcess(POD, "hostname")));
            if (args.length == 2) {
                // A container on an image the agent pulls (kata's image_guest_pull storage, as CoCo's
                // shim sends it): the registry client, the manifest and layer checks, the unpack and
                // the overlay mount. The image has busybox at /bin.
                String pulled = POD + "-pulled";
                String rootfs = "/run/kata-containers/" + pulled + "/rootfs";
                CreateContainerRequest request = container(pulled, "sh", "-c", "echo pulled");
                step("CreateContainerPull", () -> pod.createContainer(request.toBuilder()
                        .setOCI(request.getOCI().toBuilder().setRoot(Root.newBuilder().setPath(rootfs)))
                        .addStorages(Storage.newBuilder().setDriver("image_guest_pull").setSource(args[1])
                                .addDriverOptions("image_guest_pull={\"metadata\":{\"io.kubernetes.cri.container-type\":"
                                        + "\"container\"}}")
                                .setFstype("overlay").setMountPoint(rootfs))
                        .build()));
                step("StartContainerPull", () -> pod.startContainer(pulled));
                step("ReadStdoutPull", () -> expect("the pulled container's output", "pulled\n",
                        new String(pod.readAll(pulled, "", true), StandardCharsets.UTF_8)));
                step("WaitProcessPull", () -> expect("the pulled container's exit code", 0, pod.waitProcess(pulled, "")));
                step("RemoveContainerPull", () -> pod.removeContainer(pulled, 0));
            }
            step("StatsContainer", () -> pod.stats(POD));
            step("RemoveContainer", () -> pod.removeContainer(POD + "-app", 0));
            step("DestroySandbox", pod::destroySandbox);
        }
    }

    static void step(String name, Step step) {
        long t0 = System.nanoTime();
        try {
            step.run();
        } catch (Exception e) {
            System.err.println("StagePod: " + name + " failed: " + e);
            System.exit(1);
        }
        System.out.printf("%s %.1f%n", name, (System.nanoTime() - t0) / 1e6);
    }

    static void expect(String what, Object wanted, Object got) {
        if (!wanted.equals(got)) {
            throw new IllegalStateException(what + ": wanted " + wanted + ", got " + got);
        }
    }

    static Process process(String... args) {
        return Process.newBuilder().addAllArgs(List.of(args)).addEnv("PATH=/bin").addEnv("HOME=/").setCwd("/")
                .setUser(User.newBuilder().setUID(0).setGID(0)).build();
    }

    /** A container on the image's busybox root file system, with kata's usual namespaces and mounts. */
    static CreateContainerRequest container(String id, String... args) {
        Linux.Builder linux = Linux.newBuilder().setCgroupsPath(CGROUP_PARENT + "/" + id)
                .addMaskedPaths("/proc/kcore").addReadonlyPaths("/proc/sys");
        for (String ns : new String[] {"pid", "ipc", "uts", "mount"}) {
            linux.addNamespaces(LinuxNamespace.newBuilder().setType(ns));
        }
        Spec spec = Spec.newBuilder().setVersion("1.0.2").setProcess(process(args))
                .setRoot(Root.newBuilder().setPath(SHARED + "/busybox/rootfs"))
                .setHostname(POD)
                .addMounts(Mount.newBuilder().setDestination("/proc").setSource("proc").setType("proc"))
                .addMounts(Mount.newBuilder().setDestination("/dev").setSource("tmpfs").setType("tmpfs")
                        .addOptions("nosuid").addOptions("mode=755"))
                .addMounts(Mount.newBuilder().setDestination("/sys").setSource("sysfs").setType("sysfs")
                        .addOptions("nosuid").addOptions("noexec").addOptions("nodev").addOptions("ro"))
                .setLinux(linux).build();
        return CreateContainerRequest.newBuilder().setContainerId(id).setOCI(spec).setSandboxPidns(true).build();
    }
}
