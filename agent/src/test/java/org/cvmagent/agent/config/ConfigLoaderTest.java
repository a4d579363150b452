package org.cvmagent.agent.config;

import org.cvmagent.agent.log.LogLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void defaultsAreKatas() throws Exception {
        AgentConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), "");
        assertEquals("vsock://-1:1024", config.serverAddr());
        assertEquals(LogLevel.INFO, config.logLevel());
        assertEquals(Duration.ofSeconds(3), config.hotplugTimeout());
        assertEquals(Path.of("/etc/kata-opa/default-policy.rego"), config.policyFile());
        assertTrue(config.grpcServerAddr().isEmpty());
        assertTrue(config.allowedEndpoints().isEmpty());
    }

    @Test
    void fileThenCmdlineThenEnvironment() throws Exception {
        Path file = dir.resolve("agent.toml");
        Files.writeString(file, """
                server_addr = "unix:///from/file.sock"
                log_level = "warn"
                hotplug_timeout = 7
                container_pipe_size = 4096
                """);
        String cmdline = "console=ttyS0 agent.server_addr=vsock://-1:2048 agent.log=debug";
        ConfigLoader loader = new ConfigLoader(Map.of());
        AgentConfig fromCmdline = loader.load(Optional.of(file), cmdline);
        assertEquals("vsock://-1:2048", fromCmdline.serverAddr());
        assertEquals(LogLevel.DEBUG, fromCmdline.logLevel());
        assertEquals(Duration.ofSeconds(7), fromCmdline.hotplugTimeout());
        assertEquals(4096, fromCmdline.containerPipeSize());

        AgentConfig fromEnv = new ConfigLoader(Map.of("KATA_AGENT_SERVER_ADDR", "unix:///env.sock",
                "KATA_AGENT_LOG_LEVEL", "trace")).load(Optional.of(file), cmdline);
        assertEquals("unix:///env.sock", fromEnv.serverAddr());
        assertEquals(LogLevel.TRACE, fromEnv.logLevel());

        AgentConfig fileOnly = loader.load(Optional.of(file), "");
        assertEquals("unix:///from/file.sock", fileOnly.serverAddr());
        assertEquals(LogLevel.WARN, fileOnly.logLevel());
    }

    @Test
    void configFileNamedOnTheCmdline() throws Exception {
        Path file = dir.resolve("c.toml");
        Files.writeString(file, """
                dev_mode = true
                grpc_server_addr = "tcp://127.0.0.1:15150"
                [endpoints]
                allowed = ["CreateContainerRequest", "StartContainerRequest"]
                """);
        AgentConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), "agent.config_file=" + file);
        assertTrue(config.devMode());
        assertEquals(LogLevel.DEBUG, config.logLevel(), "dev mode implies debug logging");
        assertEquals(Optional.of("tcp://127.0.0.1:15150"), config.grpcServerAddr());
        assertEquals(Optional.of(Set.of("CreateContainerRequest", "StartContainerRequest")), config.allowedEndpoints());
    }

    @Test
    void cmdlineFlagsAndKataBooleans() throws Exception {
        AgentConfig config = new ConfigLoader(Map.of()).load(Optional.empty(),
                "agent.devmodex agent.debug_console agent.unified_cgroup_hierarchy=1 agent.hotplug_timeout=9");
        assertFalse(config.devMode(), "agent.devmodex is another option");
        assertTrue(config.debugConsole());
        assertTrue(config.unifiedCgroupHierarchy());
        assertEquals(Duration.ofSeconds(9), config.hotplugTimeout());
    }

    @Test
    void invalidValuesNameTheSetting() throws Exception {
        ConfigLoader loader = new ConfigLoader(Map.of());
        ConfigException level = assertThrows(ConfigException.class, () -> loader.load(Optional.empty(), "agent.log=loud"));
        assertTrue(level.getMessage().contains("agent.log"), level.getMessage());
        ConfigException pipe = assertThrows(ConfigException.class,
                () -> loader.load(Optional.empty(), "agent.container_pipe_size=-1"));
        assertTrue(pipe.getMessage().contains("agent.container_pipe_size"), pipe.getMessage());
        ConfigException timeout = assertThrows(ConfigException.class,
                () -> loader.load(Optional.empty(), "agent.hotplug_timeout=0"));
        assertTrue(timeout.getMessage().contains("agent.hotplug_timeout"), timeout.getMessage());
        ConfigException env = assertThrows(ConfigException.class,
                () -> new ConfigLoader(Map.of("KATA_AGENT_LOG_LEVEL", "x")).load(Optional.empty(), ""));
        assertTrue(env.getMessage().contains("KATA_AGENT_LOG_LEVEL"), env.getMessage());
        ConfigException missing = assertThrows(ConfigException.class,
                () -> loader.load(Optional.of(dir.resolve("absent.toml")), ""));
        assertTrue(missing.getMessage().contains("absent.toml"), missing.getMessage());
        Path bad = dir.resolve("bad.toml");
        Files.writeString(bad, "server_addr = 5\n");
        ConfigException type = assertThrows(ConfigException.class, () -> loader.load(Optional.of(bad), ""));
        assertTrue(type.getMessage().contains("server_addr"), type.getMessage());
        Path endpoints = dir.resolve("endpoints.toml");
        Files.writeString(endpoints, "[endpoints]\nallowd = []\n");
        assertThrows(ConfigException.class, () -> loader.load(Optional.of(endpoints), ""));
    }
}
