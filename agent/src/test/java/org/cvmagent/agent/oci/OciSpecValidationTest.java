package org.cvmagent.agent.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.cvmagent.proto.agent.Hook;
import org.cvmagent.proto.agent.Hooks;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxBlockIO;
import org.cvmagent.proto.agent.LinuxCapabilities;
import org.cvmagent.proto.agent.LinuxDevice;
import org.cvmagent.proto.agent.LinuxDeviceCgroup;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.LinuxSeccomp;
import org.cvmagent.proto.agent.LinuxSeccompArg;
import org.cvmagent.proto.agent.LinuxSyscall;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.POSIXRlimit;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Solaris;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Windows;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OciSpecValidationTest {

    private final OciSpecTranslator translator = new OciSpecTranslator();

    static Stream<Arguments> invalidSpecs() {
        return Stream.of(
                invalid("ociVersion: is required", s -> s.clearVersion()),
                invalid("process: is required", s -> s.clearProcess()),
                invalid("process.args: must name at least the executable",
                        s -> s.setProcess(s.getProcessBuilder().clearArgs())),
                invalid("process.cwd: must be an absolute path, got 'work'",
                        s -> s.setProcess(s.getProcessBuilder().setCwd("work"))),
                invalid("process.cwd: must be an absolute path, got an empty one",
                        s -> s.setProcess(s.getProcessBuilder().clearCwd())),
                invalid("process.rlimits[1].type: unknown rlimit type 'RLIMIT_FOO'",
                        s -> s.setProcess(s.getProcessBuilder()
                                .addRlimits(POSIXRlimit.newBuilder().setType("RLIMIT_NOFILE"))
                                .addRlimits(POSIXRlimit.newBuilder().setType("RLIMIT_FOO")))),
                invalid("process.capabilities.ambient[1]: unknown capability 'CAP_FLY'",
                        s -> s.setProcess(s.getProcessBuilder().setCapabilities(
                                LinuxCapabilities.newBuilder().addAmbient("CAP_KILL")
                                        .addAmbient("FLY")))),
                invalid("process.capabilities.bounding[0]: unknown capability 'CAP_cap_kill'",
                        s -> s.setProcess(s.getProcessBuilder().setCapabilities(
                                LinuxCapabilities.newBuilder().addBounding("cap_kill")))),
                invalid("process.oomScoreAdj: must be within [-1000, 1000], got 1001",
                        s -> s.setProcess(s.getProcessBuilder().setOOMScoreAdj(1001))),
                invalid("root: is required", s -> s.clearRoot()),
                invalid("root.path: must be an absolute path, got 'rootfs'",
                        s -> s.setRoot(Root.newBuilder().setPath("rootfs"))),
                invalid("mounts[1].destination: must be an absolute path, got 'tmp'",
                        s -> s.addMounts(Mount.newBuilder().setDestination("/proc"))
                                .addMounts(Mount.newBuilder().setDestination("tmp"))),
                invalid("hooks.poststop[0].path: must be an absolute path, got 'cleanup'",
                        s -> s.setHooks(Hooks.newBuilder()
                                .addPoststop(Hook.newBuilder().setPath("cleanup")))),
                invalid("hooks.prestart[0].timeout: must be greater than zero, got -5",
                        s -> s.setHooks(Hooks.newBuilder().addPrestart(
                                Hook.newBuilder().setPath("/bin/hook").setTimeout(-5)))),
                invalid("linux.namespaces[2].type: unknown namespace type 'foo'",
                        s -> s.setLinux(Linux.newBuilder()
                                .addNamespaces(OciSpecSamples.ns("pid", ""))
                                .addNamespaces(OciSpecSamples.ns("ipc", ""))
                                .addNamespaces(OciSpecSamples.ns("foo", "")))),
                invalid("linux.namespaces[0].type: unknown namespace type 'net'",
                        s -> s.setLinux(Linux.newBuilder()
                                .addNamespaces(OciSpecSamples.ns("net", "")))),
                invalid("linux.namespaces[0].path: must be an absolute path, got 'proc/1/ns/net'",
                        s -> s.setLinux(Linux.newBuilder()
                                .addNamespaces(OciSpecSamples.ns("network", "proc/1/ns/net")))),
                invalid("linux.namespaces[2].type: duplicate namespace type 'pid'",
                        s -> s.setLinux(Linux.newBuilder()
                                .addNamespaces(OciSpecSamples.ns("pid", ""))
                                .addNamespaces(OciSpecSamples.ns("ipc", ""))
                                .addNamespaces(OciSpecSamples.ns("pid", "/proc/1/ns/pid")))),
                invalid("process.rlimits[1].type: duplicate rlimit type 'RLIMIT_NOFILE'",
                        s -> s.setProcess(s.getProcessBuilder()
                                .addRlimits(POSIXRlimit.newBuilder().setType("RLIMIT_NOFILE"))
                                .addRlimits(POSIXRlimit.newBuilder().setType("RLIMIT_NOFILE")))),
                invalid("linux.resources.devices[1].access: must combine r, w and m, got 'rwx'",
                        s -> s.setLinux(Linux.newBuilder().setResources(LinuxResources.newBuilder()
                                .addDevices(LinuxDeviceCgroup.newBuilder().setAccess("rwm"))
                                .addDevices(LinuxDeviceCgroup.newBuilder().setAccess("rwx"))))),
                invalid("linux.devices[0].type: unknown device type 'x'",
                        s -> s.setLinux(Linux.newBuilder().addDevices(
                                LinuxDevice.newBuilder().setPath("/dev/null").setType("x")))),
                invalid("linux.devices[0].path: must be an absolute path, got 'dev/null'",
                        s -> s.setLinux(Linux.newBuilder().addDevices(
                                LinuxDevice.newBuilder().setPath("dev/null").setType("c")))),
                invalid("linux.resources.devices[0].type: unknown device cgroup type 'z'",
                        s -> s.setLinux(Linux.newBuilder().setResources(LinuxResources.newBuilder()
                                .addDevices(LinuxDeviceCgroup.newBuilder().setType("z"))))),
                invalid("linux.resources.blockIO.weight: must fit in 16 bits, got 70000",
                        s -> s.setLinux(Linux.newBuilder().setResources(LinuxResources.newBuilder()
                                .setBlockIO(LinuxBlockIO.newBuilder().setWeight(70000))))),
                invalid("linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_MAYBE'",
                        s -> s.setLinux(Linux.newBuilder().setSeccomp(
                                LinuxSeccomp.newBuilder().setDefaultAction("SCMP_ACT_MAYBE")))),
                invalid("linux.seccomp.defaultAction: unknown seccomp action ''",
                        s -> s.setLinux(Linux.newBuilder().setSeccomp(LinuxSeccomp.newBuilder()))),
                invalid("linux.seccomp.syscalls[1].action: unknown seccomp action 'allow'",
                        s -> s.setLinux(Linux.newBuilder().setSeccomp(seccomp()
                                .addSyscalls(syscall("read", "SCMP_ACT_ALLOW"))
                                .addSyscalls(syscall("write", "allow"))))),
                invalid("linux.seccomp.syscalls[0].names: must name at least one syscall",
                        s -> s.setLinux(Linux.newBuilder().setSeccomp(seccomp()
                                .addSyscalls(LinuxSyscall.newBuilder()
                                        .setAction("SCMP_ACT_ALLOW"))))),
                invalid("linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator 'EQ'",
                        s -> s.setLinux(Linux.newBuilder().setSeccomp(seccomp()
                                .addSyscalls(syscall("kill", "SCMP_ACT_ALLOW").toBuilder()
                                        .addArgs(LinuxSeccompArg.newBuilder().setOp("EQ")))))),
                invalid("linux.seccomp.architectures[0]: unknown seccomp architecture 'amd64'",
                        s -> s.setLinux(Linux.newBuilder().setSeccomp(seccomp()
                                .addArchitectures("amd64")))),
                invalid("linux.seccomp.flags[0]: unknown seccomp flag 'TSYNC'",
                        s -> s.setLinux(Linux.newBuilder().setSeccomp(seccomp()
                                .addFlags("TSYNC")))),
                invalid("linux.rootfsPropagation: unknown rootfs propagation 'recursive'",
                        s -> s.setLinux(Linux.newBuilder().setRootfsPropagation("recursive"))),
                invalid("solaris: is not supported in a Linux guest",
                        s -> s.setSolaris(Solaris.getDefaultInstance())),
                invalid("windows: is not supported in a Linux guest",
                        s -> s.setWindows(Windows.getDefaultInstance())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSpecs")
    void rejectsWithTheFieldNamed(String expectedMessage, UnaryOperator<Spec.Builder> breakIt) {
        Spec spec = breakIt.apply(OciSpecSamples.minimal()).build();

        InvalidOciSpecException error = assertThrows(InvalidOciSpecException.class,
                () -> translator.translate(spec));

        assertEquals(expectedMessage, error.getMessage());
        assertEquals(expectedMessage.substring(0, expectedMessage.indexOf(": ")), error.field());
    }

    private static Arguments invalid(String message, UnaryOperator<Spec.Builder> breakIt) {
        return Arguments.of(message, breakIt);
    }

    private static LinuxSeccomp.Builder seccomp() {
        return LinuxSeccomp.newBuilder().setDefaultAction("SCMP_ACT_ERRNO");
    }

    private static LinuxSyscall syscall(String name, String action) {
        return LinuxSyscall.newBuilder().addNames(name).setAction(action).build();
    }
}
