package org.cvmagent.agent.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.SpawnSpec;
import org.cvmagent.rpc.RpcException;

/**
 * Runs iproute2 and iptables tools, optionally inside a named network namespace (tests use one; the
 * guest agent configures its own). A failing command becomes an RpcException carrying the tool's
 * error text (the kernel's netlink reason, e.g. "RTNETLINK answers: File exists").
 */
public final class NetworkCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner runner;
    private final String netns;
    private final List<String> prefix;
    private final Duration timeout;

    /** @param netns a network namespace name (ip netns) to work in, or null for the agent's own */
    public NetworkCommands(CommandRunner runner, String netns, Duration timeout) {
        this.runner = runner;
        this.netns = netns;
        this.prefix = netns == null ? List.of() : List.of("ip", "netns", "exec", netns);
        this.timeout = timeout;
    }

    /** {@code ip -json ARGS}: the parsed array (empty when ip printed nothing). */
    public JsonNode ipJson(String... args) throws RpcException {
        List<String> argv = new ArrayList<>(List.of("ip", "-json"));
        argv.addAll(List.of(args));
        String out = run(argv).stdoutText().strip();
        if (out.isEmpty()) {
            return JSON.createArrayNode();
        }
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new RpcException(io.grpc.Status.Code.INTERNAL, "ip " + String.join(" ", args) + " printed no JSON: " + e.getMessage());
        }
    }

    /** {@code ip ARGS}. */
    public void ip(String... args) throws RpcException {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        run(argv);
    }

    /** Any tool (iptables-save, iptables-restore): its output. */
    public CommandResult tool(List<String> argv) throws RpcException {
        return run(argv);
    }

    /**
     * A network sysctl as the namespace sees it, or empty where the kernel has no such setting (IPv6
     * not built in). {@code /proc/sys/net} answers for the reader's network namespace, so inside a
     * named one a process started there reads it.
     *
     * @param key a path under /proc/sys, e.g. {@code net/ipv6/conf/all/disable_ipv6}
     */
    public Optional<String> sysctl(String key) throws RpcException {
        Path file = Path.of("/proc/sys").resolve(key);
        if (netns == null) {
            try {
                return Optional.of(Files.readString(file).strip());
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new RpcException(io.grpc.Status.Code.INTERNAL, "cannot read " + file + ": " + e.getMessage());
            }
        }
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of("cat", file.toString()));
        CommandResult result = launch(argv);
        if (result.succeeded()) {
            return Optional.of(result.stdoutText().strip());
        }
        if (result.stderrText().contains("No such file")) {
            return Optional.empty();
        }
        throw new NetworkCommandFailure("cat " + file, result.stderrText().strip()).toRpc();
    }

    private CommandResult run(List<String> argv) throws RpcException {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(argv);
        CommandResult result = launch(full);
        if (!result.succeeded()) {
            throw new NetworkCommandFailure(String.join(" ", argv), result.stderrText().strip()).toRpc();
        }
        return result;
    }

    private CommandResult launch(List<String> argv) throws RpcException {
        try {
            return runner.run(argv, List.of("PATH=" + SpawnSpec.DEFAULT_PATH), timeout);
        } catch (IOException e) {
            throw new RpcException(io.grpc.Status.Code.INTERNAL, String.join(" ", argv) + " could not run: " + e.getMessage());
        }
    }
}
