package org.cvmagent.agent.sandbox;

import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.agent.fs.MountinfoText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small decisions of the sandbox package: namespaces, hooks, signals, confinement, mountinfo text. */
class SandboxPiecesTest {

    @TempDir
    Path dir;

    @Test
    void namespacePlanJoinsTheSandboxNamespacesAndKeepsOnePidEntry() {
        Linux.Builder linux = Linux.newBuilder();
        for (String type : List.of("pid", "ipc", "uts", "mount", "pid", "user", "network")) {
            linux.addNamespaces(LinuxNamespace.newBuilder().setType(type).setPath("/host/" + type));
        }
        Spec spec = Spec.newBuilder().setLinux(linux).build();
        Spec planned = new NamespacePlan(Optional.of(Path.of("/s/ipc")), Optional.of(Path.of("/s/uts")),
                Optional.of(Path.of("/proc/7/ns/pid"))).apply(spec);
        assertEquals(List.of("ipc=/s/ipc", "uts=/s/uts", "user=", "pid=/proc/7/ns/pid", "mount="),
                planned.getLinux().getNamespacesList().stream().map(n -> n.getType() + "=" + n.getPath()).toList());
        Spec fresh = new NamespacePlan(Optional.empty(), Optional.empty(), Optional.empty()).apply(spec);
        assertEquals(List.of("ipc=", "uts=", "user=", "pid=", "mount="),
                fresh.getLinux().getNamespacesList().stream().map(n -> n.getType() + "=" + n.getPath()).toList());
    }

    @Test
    void aSpecWithoutNamespacesStillGetsItsOwnPidAndMountNamespaces() {
        // The review's attack: "Namespaces": [] made the container share the agent's PID and mount
        // namespaces (it saw the agent as PID 1, its mounts landed in the agent's namespace).
        Spec none = Spec.newBuilder().setLinux(Linux.newBuilder()).build();
        for (Spec spec : List.of(none, Spec.getDefaultInstance())) {
            assertEquals(List.of("pid=", "mount="), new NamespacePlan(Optional.empty(), Optional.empty(),
                    Optional.empty()).apply(spec).getLinux().getNamespacesList().stream()
                    .map(n -> n.getType() + "=" + n.getPath()).toList());
        }
        Spec joining = Spec.newBuilder().setLinux(Linux.newBuilder().addNamespaces(
                LinuxNamespace.newBuilder().setType("network").setPath("/proc/1/ns/net"))).build();
        assertEquals(List.of("pid=/proc/9/ns/pid", "mount="), new NamespacePlan(Optional.empty(), Optional.empty(),
                Optional.of(Path.of("/proc/9/ns/pid"))).apply(joining).getLinux().getNamespacesList().stream()
                .map(n -> n.getType() + "=" + n.getPath()).toList());
    }

    @Test
    void guestHooksAreExecutableRegularFilesOnly() throws Exception {
        Path prestart = Files.createDirectories(dir.resolve("prestart"));
        Path good = Files.writeString(prestart.resolve("b-hook"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(good, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(prestart.resolve("a-not-executable"), "x");
        Files.createSymbolicLink(prestart.resolve("c-link"), good);
        GuestHooks hooks = GuestHooks.scan(dir);
        assertEquals(1, hooks.hooks().getPrestartCount());
        assertEquals(good.toString(), hooks.hooks().getPrestart(0).getPath());
        assertEquals(List.of("b-hook", "prestart"), hooks.hooks().getPrestart(0).getArgsList());
        assertEquals(0, hooks.hooks().getPoststartCount());
        Spec withHooks = hooks.appendTo(Spec.getDefaultInstance());
        assertEquals(1, withHooks.getHooks().getPrestartCount());
    }

    @Test
    void sigtermForAnInitThatDoesNotCatchItBecomesSigkill() throws Exception {
        Path proc = dir.resolve("proc");
        Files.createDirectories(proc.resolve("10"));
        Files.createDirectories(proc.resolve("11"));
        Files.writeString(proc.resolve("10/status"), "Name:\tsleep\nSigCgt:\t0000000000000000\n");
        Files.writeString(proc.resolve("11/status"), "Name:\tsh\nSigCgt:\t0000000000004002\n"); // TERM(15), INT(2)
        SignalDisposition signals = new SignalDisposition(proc);
        assertEquals(9, signals.effective(10, true, 15));
        assertEquals(15, signals.effective(10, false, 15));
        assertEquals(15, signals.effective(11, true, 15));
        assertEquals(2, signals.effective(10, true, 2));
        assertTrue(signals.catches(11, 2));
        assertFalse(signals.catches(12, 15));
    }

    @Test
    void hostPathsAreConfinedToTheSandboxRoot() throws Exception {
        Path root = Files.createDirectories(dir.resolve("kata"));
        SandboxLayout layout = new SandboxLayout(root, dir.resolve("state"));
        assertEquals(root.resolve("shared/c/rootfs"), layout.confine(root + "/shared/c/rootfs"));
        for (String bad : List.of("relative", root + "/../x", "/etc", root + "/a/../../x")) {
            assertThrows(IllegalArgumentException.class, () -> layout.confine(bad), bad);
        }
        Files.createSymbolicLink(root.resolve("link"), Path.of("/etc"));
        assertEquals(root.resolve("etc/passwd"), layout.confine(root + "/link/passwd"));
        assertThrows(IllegalArgumentException.class, () -> layout.bundle("../x"));
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertEquals("/run/a b\\c", MountinfoText.unescape("/run/a\\040b\\134c"));
        assertEquals("/plain\\9", MountinfoText.unescape("/plain\\9"));
    }
}
