package org.cvmagent.agent.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    private final List<String> prefix;
    private final Duration timeout;

    /** @param netns a network namespace name (ip netns) to work in, or null for the agent's own */
    public NetworkCommands(CommandRunner runner, String netns, Duration timeout) {
        this.runner = runner;
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

    private CommandResult run(List<String> argv) throws RpcException {
        List<String> full = new ArrayList<>(prefix);
        full.addAll(argv);
        CommandResult result;
        try {
            result = runner.run(full, List.of("PATH=" + SpawnSpec.DEFAULT_PATH), timeout);
        } catch (IOException e) {
            throw new RpcException(io.grpc.Status.Code.INTERNAL, String.join(" ", argv) + " could not run: " + e.getMessage());
        }
        if (!result.succeeded()) {
            throw new NetworkCommandFailure(String.join(" ", argv), result.stderrText().strip()).toRpc();
        }
        return result;
    }
}
