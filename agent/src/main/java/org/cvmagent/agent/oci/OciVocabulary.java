package org.cvmagent.agent.oci;

import java.util.Set;

/**
 * The closed value sets of the runtime-spec that the translator checks at the boundary. Kata's
 * agent parses the same strings into Rust enums (and panics on unknown ones); we reject them with
 * a named field instead, so a typo never reaches runc as a silently different configuration.
 */
final class OciVocabulary {

    /** config-linux.md "Namespaces"; kata sends these exact lower-case names. */
    static final Set<String> NAMESPACE_TYPES =
            Set.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time");

    /** config-linux.md "Seccomp" actions. */
    static final Set<String> SECCOMP_ACTIONS = Set.of(
            "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
            "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
            "SCMP_ACT_NOTIFY");

    /** config-linux.md "Seccomp" argument operators. */
    static final Set<String> SECCOMP_OPERATORS = Set.of(
            "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
            "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ");

    /** config-linux.md "Seccomp" architectures. */
    static final Set<String> SECCOMP_ARCHITECTURES = Set.of(
            "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
            "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
            "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
            "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
            "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
            "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB");

    /** config-linux.md "Seccomp" filter flags. */
    static final Set<String> SECCOMP_FLAGS = Set.of(
            "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");

    /** config-linux.md "Rootfs Mount Propagation" (mount(2) propagation flags by name). */
    static final Set<String> ROOTFS_PROPAGATIONS = Set.of(
            "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate",
            "runbindable");

    /** config-linux.md "Devices": character, block, unbuffered character, FIFO. */
    static final Set<String> DEVICE_TYPES = Set.of("c", "b", "u", "p");

    /** config-linux.md "Device allowlist": all, character, block. */
    static final Set<String> DEVICE_CGROUP_TYPES = Set.of("a", "c", "b");

    /** config.md "POSIX process": the resources setrlimit(2) knows on Linux. */
    static final Set<String> RLIMIT_TYPES = Set.of(
            "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
            "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE",
            "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING",
            "RLIMIT_STACK");

    private OciVocabulary() {
    }
}
