package org.cvmagent.agent.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Confidential mode: the image's configuration file decides, and the host's kernel command line
 * and environment (the review's attacks) cannot move the trust boundary.
 */
class ConfidentialConfigTest {

    @TempDir
    Path dir;

    private Path imageConfig(String extra) throws Exception {
        return Files.writeString(dir.resolve("agent.toml"), """
                confidential = true
                oci_runtime = "/usr/sbin/runc"
                policy_file = "/etc/kata-opa/default-policy.rego"
                """ + extra);
    }

    /** Everything the review used, as the host would put it on the kernel command line. */
    private static final String HOSTILE_CMDLINE = "console=ttyS0 agent.oci_runtime=/mnt/evil "
            + "agent.image_policy_file=/dev/vdb agent.image_insecure_registries=registry.example "
            + "agent.policy_file=/nonexistent agent.grpc_server_addr=tcp://0.0.0.0:50051 agent.config_file=/dev/vdc "
            + "agent.guest_components_procs=none agent.devmode agent.debug_console "
            + "agent.server_addr=vsock://-1:1024 agent.log=debug";
    private static final Map<String, String> HOSTILE_ENVIRONMENT = Map.of("CVM_AGENT_OCI_RUNTIME", "/mnt/evil",
            "KATA_AGENT_POLICY_FILE", "/dev/vdb", "CVM_AGENT_GRPC_SERVER_ADDR", "tcp://0.0.0.0:1",
            "AA_SAMPLE_ATTESTER_TEST", "1", "CVM_AGENT_INITDATA", "/dev/vdb", "CVM_AGENT_SANDBOX_ROOT", "/mnt",
            "CVM_AGENT_STATE_DIR", "/mnt", "CVM_AGENT_GUEST_COMPONENTS_DIR", "/mnt", "HOME", "/");

    @Test
    void theHostCanSetOnlyWhatCannotWeakenSecurity() throws Exception {
        StartConfig start = new ConfigLoader(HOSTILE_ENVIRONMENT).loadForStart(Optional.of(imageConfig("")),
                HOSTILE_CMDLINE);
        assertTrue(start.confidential());
        assertFalse(start.testImage());
        AgentConfig config = start.agent();
        assertEquals(Path.of("/usr/sbin/runc"), config.runtime().ociRuntime());
        assertEquals(Path.of("/etc/kata-opa/default-policy.rego"), config.policyFile());
        assertEquals(Optional.empty(), config.grpcServerAddr());
        assertEquals(RuntimeConfig.DEFAULT.sandboxRoot(), config.runtime().sandboxRoot());
        assertEquals(RuntimeConfig.DEFAULT.stateDir(), config.runtime().stateDir());
        assertFalse(config.devMode());
        assertFalse(config.debugConsole());
        // what it may still say
        assertEquals("vsock://-1:1024", config.serverAddr());
        assertEquals(org.cvmagent.agent.log.LogLevel.DEBUG, config.logLevel());
        // and what the rest of the agent sees of the host's inputs
        assertEquals(Optional.empty(), start.host().cmdline().value("agent.image_policy_file"));
        assertEquals(Optional.empty(), start.host().cmdline().value("agent.guest_components_procs"));
        assertEquals(Optional.of("ttyS0"), start.host().cmdline().value("console"));
        assertEquals(Map.of("HOME", "/"), start.host().environment());
    }

    @Test
    void developmentModeKeepsKatasPrecedence() throws Exception {
        StartConfig start = new ConfigLoader(HOSTILE_ENVIRONMENT).loadForStart(Optional.empty(),
                HOSTILE_CMDLINE.replace(" agent.config_file=/dev/vdc", ""));
        assertEquals(TrustMode.DEVELOPMENT, start.mode());
        assertEquals(Path.of("/mnt/evil"), start.agent().runtime().ociRuntime());
        assertEquals(Path.of("/dev/vdb"), start.agent().policyFile());
    }

    @Test
    void onlyTheImagesOwnConfigFileMakesTheAgentConfidential() throws Exception {
        Path file = imageConfig("test_image = true\n");
        StartConfig viaCmdline = new ConfigLoader(Map.of()).loadForStart(Optional.empty(), "agent.config_file=" + file);
        assertEquals(TrustMode.DEVELOPMENT, viaCmdline.mode(), "a file the host names cannot set the mode");
        StartConfig test = new ConfigLoader(Map.of()).loadForStart(Optional.of(file), "");
        assertTrue(test.confidential());
        assertTrue(test.testImage());
    }

    @Test
    void aHostChosenNetworkListenerIsIgnoredAndTheImagesMustBeAUnixSocket() throws Exception {
        StartConfig start = new ConfigLoader(Map.of("KATA_AGENT_SERVER_ADDR", "tcp://0.0.0.0:1024"))
                .loadForStart(Optional.of(imageConfig("")), "agent.server_addr=tcp://0.0.0.0:15150");
        assertEquals(AgentConfig.DEFAULT_SERVER_ADDR, start.agent().serverAddr());
        ConfigException tcp = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of())
                .loadForStart(Optional.of(imageConfig("grpc_server_addr = \"tcp://0.0.0.0:50051\"\n")), ""));
        assertTrue(tcp.getMessage().contains("only a unix:// address"), tcp.getMessage());
        assertEquals(Optional.of("unix:///run/cvm-agent/grpc.sock"), new ConfigLoader(Map.of())
                .loadForStart(Optional.of(imageConfig("grpc_server_addr = \"unix:///run/cvm-agent/grpc.sock\"\n")), "")
                .agent().grpcServerAddr());
    }

    @Test
    void jvmOptionsFromTheHostStopTheStart() throws Exception {
        for (String variable : new String[] {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "LD_PRELOAD"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(
                    Map.of(variable, "-XX:OnOutOfMemoryError=/bin/sh")).loadForStart(Optional.of(imageConfig("")), ""));
            assertTrue(e.getMessage().contains(variable), e.getMessage());
        }
    }

    @Test
    void theRuntimeMustBeARootOwnedFileOfTheImage() throws Exception {
        // The review's attack: agent.oci_runtime pointed at a file from a host disk or CopyFile.
        ImageFile image = new ImageFile(dir);
        Path bin = Files.createDirectories(dir.resolve("usr/sbin"));
        Path runc = Files.writeString(bin.resolve("runc"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir.resolve("usr"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        // the files are root's: the tests run as root, as the agent does
        assertEquals(Path.of("/usr/sbin/runc"), image.check(Path.of("/usr/sbin/runc"), true, "oci_runtime"));
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThrows(ConfigException.class, () -> image.check(Path.of("/usr/sbin/runc"), true, "oci_runtime"));
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rw-r--r--"));
        assertThrows(ConfigException.class, () -> image.check(Path.of("/usr/sbin/runc"), true, "oci_runtime"));
        Files.createSymbolicLink(bin.resolve("link"), runc);
        assertTrue(assertThrows(ConfigException.class, () -> image.check(Path.of("/usr/sbin/link"), false, "x"))
                .getMessage().contains("symbolic link"));
        assertThrows(ConfigException.class, () -> image.check(Path.of("/usr/sbin"), false, "x"));
        assertThrows(ConfigException.class, () -> image.check(Path.of("usr/sbin/runc"), false, "x"));
        // a file on another file system than the image's root (a host disk, /dev, /proc)
        assertThrows(ConfigException.class, () -> new ImageFile(Path.of("/")).check(Path.of("/proc/self/status"),
                false, "x"));
    }
}
