package org.cvmagent.agent.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.MethodDescriptor;
import org.cvmagent.agent.config.DurationText;
import org.cvmagent.agent.policy.RegoCompiler;
import org.cvmagent.agent.policy.RegoCompilers;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code cvm-agent-ctl}: calls any AgentService or Health method of an agent, the request
 * written as protobuf JSON, and prints the response as JSON (proto field names). Like kata's
 * agent-ctl, for operators and tests.
 */
public final class AgentCtl {

    static final int EXIT_OK = 0;
    static final int EXIT_RPC_ERROR = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_CONNECTION = 3;

    private static final String USAGE = """
            usage: cvm-agent-ctl [--addr ADDRESS] [--grpc] [--timeout DURATION] COMMAND
              ADDRESS   vsock://CID:PORT, unix:///PATH, tcp://HOST:PORT, hvsock:///PATH:PORT
                        (default: $CVM_AGENT_ADDR)
              --grpc    talk gRPC instead of ttRPC (the agent's optional gRPC address)
              --timeout per-call deadline, e.g. 30s, 500ms (default 30s)
            commands:
              health                     grpc.Health/Check; prints the serving status
              version                    grpc.Health/Version
              list                       the methods, with request and response types
              call METHOD [JSON|@FILE|-] call a method (CreateContainer, grpc.Health/Check, ...)
                                         with a request in protobuf JSON (default {})
              stdout CONTAINER [EXEC_ID] copy the process's stdout (stderr: 'stderr') to ours
                                         until EOF, as the kata shim does (ReadStdout)
              wait CONTAINER [EXEC_ID]   WaitProcess; prints the exit code (137 after SIGKILL)
              set-policy FILE            SetPolicy with the Rego policy in FILE
            """ + PolicyCommands.USAGE + AttestCommands.USAGE + PullCommand.USAGE + """
            exit status: 0 ok, 1 the agent answered an error (policy: denied, does not compile,
            mismatches; evidence that does not parse), 2 usage, 3 cannot connect, 4 no Rego engine in this build
            """;

    private final ClientFactory clients;
    private final MethodCatalog catalog;
    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> environment;
    private final PolicyCommands policy;

    public AgentCtl(ClientFactory clients, MethodCatalog catalog, PrintStream out, PrintStream err,
                    Map<String, String> environment) {
        this(clients, catalog, out, err, environment, Optional.empty());
    }

    /** @param rego the Rego engine for the {@code policy} commands; without one they say so */
    public AgentCtl(ClientFactory clients, MethodCatalog catalog, PrintStream out, PrintStream err,
                    Map<String, String> environment, Optional<RegoCompiler> rego) {
        this.clients = clients;
        this.catalog = catalog;
        this.out = out;
        this.err = err;
        this.environment = environment;
        this.policy = new PolicyCommands(rego, out, err);
    }

    public static void main(String[] args) {
        AgentCtl ctl = new AgentCtl(new ClientFactory(new org.cvmagent.transport.Transports()), MethodCatalog.agentServices(), System.out, System.err,
                System.getenv(), RegoCompilers.installed());
        System.exit(ctl.run(args));
    }

    public int run(String[] argv) {
        Deque<String> args = new ArrayDeque<>(List.of(argv));
        String address = environment.get("CVM_AGENT_ADDR");
        boolean grpc = false;
        Duration timeout = Duration.ofSeconds(30);
        try {
            while (!args.isEmpty() && args.peekFirst().startsWith("--")) {
                String option = args.removeFirst();
                switch (option) {
                    case "--addr" -> address = value(args, option);
                    case "--grpc" -> grpc = true;
                    case "--timeout" -> timeout = parseDuration(value(args, option));
                    case "--help" -> {
                        out.print(USAGE);
                        return EXIT_OK;
                    }
                    default -> throw new UsageException("unknown option " + option);
                }
            }
            if (args.isEmpty()) {
                throw new UsageException("no command given");
            }
            String command = args.removeFirst();
            if (command.equals("list")) {
                list();
                return EXIT_OK;
            }
            if (command.equals("policy")) {
                return policy.run(args);
            }
            if (command.equals("attest")) {
                return new AttestCommands(out, err).run(args);
            }
            if (command.equals("pull")) {
                return new PullCommand(out, err).run(args);
            }
            if (command.equals("stdout") || command.equals("stderr") || command.equals("wait")
                    || command.equals("set-policy")) {
                return processCommand(command, args, address, grpc, timeout);
            }
            MethodDescriptor<?, ?> method;
            String requestJson = "{}";
            switch (command) {
                case "health" -> method = lookup("grpc.Health/Check");
                case "version" -> method = lookup("grpc.Health/Version");
                case "call" -> {
                    if (args.isEmpty()) {
                        throw new UsageException("call needs a METHOD");
                    }
                    method = lookup(args.removeFirst());
                    if (!args.isEmpty()) {
                        requestJson = readRequest(args.removeFirst());
                    }
                }
                default -> throw new UsageException("unknown command " + command);
            }
            if (!args.isEmpty()) {
                throw new UsageException("unexpected arguments: " + String.join(" ", args));
            }
            if (address == null || address.isBlank()) {
                throw new UsageException("no agent address: pass --addr or set CVM_AGENT_ADDR");
            }
            Message request = parseRequest(method, requestJson);
            return call(address, grpc, method, request, timeout, command.equals("health"));
        } catch (UsageException e) {
            err.println("cvm-agent-ctl: " + e.getMessage());
            err.print(USAGE);
            return EXIT_USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("cvm-agent-ctl: interrupted");
            return EXIT_CONNECTION;
        }
    }

    private int call(String address, boolean grpc, MethodDescriptor<?, ?> method, Message request,
                     Duration timeout, boolean healthShortcut) throws UsageException, InterruptedException {
        try (AgentClient client = clients.connect(address, grpc, timeout)) {
            Message response = client.call(method, request, timeout);
            if (healthShortcut && response instanceof HealthCheckResponse health) {
                out.println(health.getStatus().name());
            } else {
                out.println(JsonFormat.printer().preservingProtoFieldNames()
                        .alwaysPrintFieldsWithNoPresence().print(response));
            }
            return EXIT_OK;
        } catch (RpcException e) {
            err.println("ERROR " + e.code() + ": " + e.getMessage());
            return EXIT_RPC_ERROR;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        } catch (IOException e) {
            err.println("cvm-agent-ctl: cannot talk to " + address + ": " + e.getMessage());
            return EXIT_CONNECTION;
        }
    }

    private int processCommand(String command, Deque<String> args, String address, boolean grpc, Duration timeout)
            throws UsageException, InterruptedException {
        boolean setPolicy = command.equals("set-policy");
        if (setPolicy ? args.size() != 1 : args.isEmpty() || args.size() > 2) {
            throw new UsageException(command + (setPolicy ? " needs FILE" : " needs CONTAINER [EXEC_ID]"));
        }
        String container = args.removeFirst();
        String execId = args.isEmpty() ? "" : args.removeFirst();
        String policyText = null;
        if (setPolicy) {
            try {
                policyText = Files.readString(Path.of(container));
            } catch (IOException e) {
                throw new UsageException("cannot read the policy: " + e.getMessage());
            }
        }
        if (address == null || address.isBlank()) {
            throw new UsageException("no agent address: pass --addr or set CVM_AGENT_ADDR");
        }
        try (AgentClient client = clients.connect(address, grpc, timeout)) {
            PodClient pod = new PodClient(client, timeout);
            if (setPolicy) {
                pod.setPolicy(policyText);
            } else if (command.equals("wait")) {
                out.println(pod.waitProcess(container, execId));
            } else {
                pod.copyOutput(container, execId, command.equals("stdout"), out);
                out.flush();
            }
            return EXIT_OK;
        } catch (RpcException e) {
            err.println("ERROR " + e.code() + ": " + e.getMessage());
            return EXIT_RPC_ERROR;
        } catch (IOException e) {
            err.println("cvm-agent-ctl: cannot talk to " + address + ": " + e.getMessage());
            return EXIT_CONNECTION;
        }
    }

    private void list() {
        for (MethodDescriptor<?, ?> method : catalog.all()) {
            out.println(method.getFullMethodName() + " (" + Prototypes.request(method).getDescriptorForType().getFullName()
                    + ") returns (" + Prototypes.response(method).getDescriptorForType().getFullName() + ")");
        }
    }

    private MethodDescriptor<?, ?> lookup(String name) throws UsageException {
        Optional<MethodDescriptor<?, ?>> method = catalog.find(name);
        return method.orElseThrow(() -> new UsageException("unknown method " + name + " (see 'cvm-agent-ctl list')"));
    }

    private static Message parseRequest(MethodDescriptor<?, ?> method, String json) throws UsageException {
        Message.Builder builder = Prototypes.request(method).newBuilderForType();
        try {
            JsonFormat.parser().merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw new UsageException("request is not a valid " + builder.getDescriptorForType().getFullName()
                    + " in protobuf JSON: " + e.getMessage());
        }
        return builder.build();
    }

    private static String readRequest(String argument) throws UsageException {
        try {
            if (argument.equals("-")) {
                return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (argument.startsWith("@")) {
                return Files.readString(Path.of(argument.substring(1)));
            }
        } catch (IOException e) {
            throw new UsageException("cannot read the request: " + e.getMessage());
        }
        return argument;
    }

    private static String value(Deque<String> args, String option) throws UsageException {
        if (args.isEmpty()) {
            throw new UsageException(option + " needs a value");
        }
        return args.removeFirst();
    }

    static Duration parseDuration(String text) throws UsageException {
        try {
            Duration parsed = DurationText.parse(text);
            if (parsed.isNegative() || parsed.isZero()) {
                throw new UsageException("--timeout must be positive, got " + text);
            }
            return parsed;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** Bad command line; the message says what is wrong. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
