package org.cvmagent.agent.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cvmagent.agent.oci.OciSpecTranslator;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.User;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * OCI bundles on a busybox-static rootfs (Debian's, installed by scripts/setup) whose config.json
 * {@link OciSpecTranslator} made from a kata Spec, and OCI process JSON for {@code runc exec}.
 */
final class BusyboxBundles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] APPLETS = {"sh", "sleep", "echo", "cat", "stty", "tty"};

    private final Path dir;

    BusyboxBundles(Path dir) {
        this.dir = dir;
    }

    /** A bundle whose init runs {@code sh -c script}, on a terminal when {@code terminal}. */
    Path bundle(String script, boolean terminal) throws IOException {
        Path bundle = dir.resolve("bundle-" + Integer.toHexString(script.hashCode()) + (terminal ? "-tty" : ""));
        Path rootfs = bundle.resolve("rootfs");
        for (String d : new String[] {"bin", "proc", "dev", "sys", "tmp"}) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Spec spec = Spec.newBuilder()
                .setVersion("1.0.2")
                .setProcess(org.cvmagent.proto.agent.Process.newBuilder()
                        .addArgs("/bin/sh").addArgs("-c").addArgs(script)
                        .addEnv("PATH=/bin").setCwd("/")
                        .setTerminal(terminal)
                        .setUser(User.newBuilder().setUID(0).setGID(0))
                        .setNoNewPrivileges(true))
                .setRoot(Root.newBuilder().setPath(rootfs.toString()))
                .setHostname("c1")
                .addMounts(Mount.newBuilder().setDestination("/proc").setSource("proc").setType("proc"))
                .addMounts(Mount.newBuilder().setDestination("/dev").setSource("tmpfs").setType("tmpfs")
                        .addOptions("nosuid").addOptions("mode=755"))
                // runc makes a terminal's pty in the container's own devpts instance.
                .addMounts(Mount.newBuilder().setDestination("/dev/pts").setSource("devpts").setType("devpts")
                        .addOptions("nosuid").addOptions("noexec").addOptions("newinstance")
                        .addOptions("ptmxmode=0666").addOptions("mode=0620"))
                .setLinux(org.cvmagent.proto.agent.Linux.newBuilder()
                        .addNamespaces(LinuxNamespace.newBuilder().setType("pid"))
                        .addNamespaces(LinuxNamespace.newBuilder().setType("ipc"))
                        .addNamespaces(LinuxNamespace.newBuilder().setType("uts"))
                        .addNamespaces(LinuxNamespace.newBuilder().setType("mount")))
                .build();
        JSON.writeValue(bundle.resolve("config.json").toFile(), new OciSpecTranslator().translate(spec));
        return bundle;
    }

    Path bundle(String script) throws IOException {
        return bundle(script, false);
    }

    /** An OCI process object for {@code runc exec --process}, written to {@code name} in the test directory. */
    Path process(String name, boolean terminal, List<String> args) throws IOException {
        ObjectNode process = JSON.createObjectNode();
        process.put("terminal", terminal);
        process.putObject("user").put("uid", 0).put("gid", 0);
        args.forEach(process.putArray("args")::add);
        process.putArray("env").add("PATH=/bin").add("TERM=dumb");
        process.put("cwd", "/");
        process.put("noNewPrivileges", true);
        Path file = dir.resolve(name + ".json");
        JSON.writeValue(file.toFile(), process);
        return file;
    }
}
