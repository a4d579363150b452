package org.cvmagent.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cvmagent.agent.policy.JsonPatch;
import org.cvmagent.agent.policy.PolicyResult;
import org.cvmagent.agent.policy.RegoCompiler;
import org.cvmagent.agent.policy.RegoEvaluator;
import org.cvmagent.agent.policy.RequestTypes;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * {@code cvm-agent-ctl policy ...}: work on an agent policy offline, with the agent's own Rego
 * engine — compile it, decide one request, or replay a kata policy test case.
 */
final class PolicyCommands {

    static final String USAGE = """
              policy check FILE          compile a policy; exit 1 with the compiler's message if it does not
              policy eval --policy FILE --request-type TYPE [--input JSON|@FILE] [--state JSON|@FILE]
                                         ask data.agent_policy.TYPE about a request in kata's input shape
                                         (default {}); prints the result, exit 0 allowed, 1 denied
              policy test DIR            replay a kata policy case (policy.rego, inputs.txt, outputs.json,
                                         prints.json) through one engine; a line per mismatch, then
                                         'N passed, M failed'; exit 0 only when all pass
            """;

    static final int EXIT_NO_ENGINE = 4;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String ALLOW_FAILURES_RULE = "AllowRequestsFailingPolicy";

    private final Optional<RegoCompiler> compiler;
    private final PrintStream out;
    private final PrintStream err;

    PolicyCommands(Optional<RegoCompiler> compiler, PrintStream out, PrintStream err) {
        this.compiler = compiler;
        this.out = out;
        this.err = err;
    }

    int run(Deque<String> args) throws AgentCtl.UsageException {
        if (args.isEmpty()) {
            throw new AgentCtl.UsageException("policy needs a subcommand: check, eval or test");
        }
        String command = args.removeFirst();
        return switch (command) {
            case "check" -> check(single(args, "policy check needs FILE"));
            case "eval" -> eval(args);
            case "test" -> test(Path.of(single(args, "policy test needs DIR")));
            default -> throw new AgentCtl.UsageException("unknown policy subcommand " + command);
        };
    }

    private int check(String file) throws AgentCtl.UsageException {
        Optional<RegoEvaluator> policy = compile(Path.of(file));
        if (policy.isEmpty()) {
            return compiler.isEmpty() ? EXIT_NO_ENGINE : AgentCtl.EXIT_RPC_ERROR;
        }
        out.println(file + ": ok");
        return AgentCtl.EXIT_OK;
    }

    private int eval(Deque<String> args) throws AgentCtl.UsageException {
        String policyFile = null;
        String type = null;
        JsonNode input = JsonNodeFactory.instance.objectNode();
        JsonNode state = JsonNodeFactory.instance.objectNode();
        while (!args.isEmpty()) {
            String option = args.removeFirst();
            switch (option) {
                case "--policy" -> policyFile = value(args, option);
                case "--request-type" -> type = value(args, option);
                case "--input" -> input = json(value(args, option), "--input");
                case "--state" -> state = json(value(args, option), "--state");
                default -> throw new AgentCtl.UsageException("unknown policy eval option " + option);
            }
        }
        if (policyFile == null || type == null) {
            throw new AgentCtl.UsageException("policy eval needs --policy FILE and --request-type TYPE");
        }
        if (!RequestTypes.agentService().names().contains(type) && !type.equals(ALLOW_FAILURES_RULE)) {
            throw new AgentCtl.UsageException("unknown request type " + type + " (e.g. CreateContainerRequest)");
        }
        Optional<RegoEvaluator> policy = compile(Path.of(policyFile));
        if (policy.isEmpty()) {
            return compiler.isEmpty() ? EXIT_NO_ENGINE : AgentCtl.EXIT_RPC_ERROR;
        }
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.set("pstate", state);
        try {
            RegoEvaluator.Evaluation evaluation = policy.get().query("data.agent_policy." + type, input, data, TIMEOUT);
            PolicyResult result = PolicyResult.of(evaluation.value());
            ObjectNode report = JsonNodeFactory.instance.objectNode();
            report.put("request", type);
            report.set("value", evaluation.value().orElse(JsonNodeFactory.instance.nullNode()));
            report.put("allowed", result.allowed());
            evaluation.prints().forEach(report.putArray("prints")::add);
            if (result.allowed() && result.ops().isPresent()) {
                report.set("state", JsonPatch.apply(data, result.ops().get()).get("pstate"));
            }
            out.println(report);
            return result.allowed() ? AgentCtl.EXIT_OK : AgentCtl.EXIT_RPC_ERROR;
        } catch (Exception e) {
            err.println("cvm-agent-ctl: policy evaluation failed: " + e.getMessage());
            return AgentCtl.EXIT_RPC_ERROR;
        }
    }

    private int test(Path dir) throws AgentCtl.UsageException {
        List<KataCase> cases;
        JsonNode outputs;
        JsonNode prints;
        try {
            cases = KataCase.read(dir.resolve("inputs.txt"));
            outputs = JSON.readTree(dir.resolve("outputs.json").toFile());
            prints = JSON.readTree(dir.resolve("prints.json").toFile());
        } catch (IOException | IllegalArgumentException e) {
            throw new AgentCtl.UsageException("cannot read the case in " + dir + ": " + e.getMessage());
        }
        if (outputs.size() != cases.size() || prints.size() != cases.size()) {
            throw new AgentCtl.UsageException(dir + ": " + cases.size() + " inputs but " + outputs.size()
                    + " outputs and " + prints.size() + " prints");
        }
        Optional<RegoEvaluator> policy = compile(dir.resolve("policy.rego"));
        if (policy.isEmpty()) {
            return compiler.isEmpty() ? EXIT_NO_ENGINE : AgentCtl.EXIT_RPC_ERROR;
        }
        // one engine through the whole case, as kata's state carries from request to request
        JsonNode data = JSON.createObjectNode().set("pstate", JSON.createObjectNode());
        int passed = 0;
        int failed = 0;
        for (int i = 0; i < cases.size(); i++) {
            KataCase c = cases.get(i);
            List<String> mismatches = new ArrayList<>();
            try {
                RegoEvaluator.Evaluation evaluation = policy.get().query("data.agent_policy." + c.requestType(),
                        c.input(), data, TIMEOUT);
                JsonNode value = evaluation.value().orElse(JsonNodeFactory.instance.missingNode());
                if (!sameJson(outputs.get(i), value)) {
                    mismatches.add("value: expected " + outputs.get(i) + ", got "
                            + (value.isMissingNode() ? "undefined" : value));
                }
                List<String> expectedPrints = new ArrayList<>();
                prints.get(i).forEach(p -> expectedPrints.add(withoutLocation(p.asText())));
                List<String> gotPrints = evaluation.prints().stream().map(PolicyCommands::withoutLocation).toList();
                if (!expectedPrints.equals(gotPrints)) {
                    mismatches.add("prints: expected " + expectedPrints + ", got " + gotPrints);
                }
                if (!c.requestType().equals(ALLOW_FAILURES_RULE) && value.isObject()) {
                    PolicyResult result = PolicyResult.of(evaluation.value());
                    if (result.allowed() && result.ops().isPresent()) {
                        data = JsonPatch.apply(data, result.ops().get());
                    }
                }
            } catch (Exception e) {
                mismatches.add("error: " + e.getMessage());
            }
            if (mismatches.isEmpty()) {
                passed++;
            } else {
                failed++;
                for (String mismatch : mismatches) {
                    out.println("inputs.txt:" + c.line() + " " + c.requestType() + ": " + mismatch);
                }
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? AgentCtl.EXIT_OK : AgentCtl.EXIT_RPC_ERROR;
    }

    /** Numbers by value; everything else structurally. */
    private static boolean sameJson(JsonNode expected, JsonNode got) {
        return expected.equals((a, b) -> a.isNumber() && b.isNumber()
                ? a.decimalValue().compareTo(b.decimalValue())
                : a.equals(b) ? 0 : 1, got);
    }

    /**
     * An engine prefixes each print with where it was called ({@code path/policy.rego:1162: }); the
     * path depends on how the engine was given the file, so locations are not compared.
     */
    static String withoutLocation(String print) {
        return print.replaceFirst("^\\S*?:\\d+: ", "");
    }

    private Optional<RegoEvaluator> compile(Path file) throws AgentCtl.UsageException {
        if (compiler.isEmpty()) {
            err.println("cvm-agent-ctl: policy commands need a Rego engine, and this build has none");
            return Optional.empty();
        }
        String source;
        try {
            source = Files.readString(file);
        } catch (IOException e) {
            throw new AgentCtl.UsageException("cannot read " + file + ": " + e.getMessage());
        }
        try {
            return Optional.of(compiler.get().compile(source));
        } catch (Exception e) {
            err.println(file + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static JsonNode json(String argument, String option) throws AgentCtl.UsageException {
        try {
            String text = argument.startsWith("@") ? Files.readString(Path.of(argument.substring(1))) : argument;
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AgentCtl.UsageException(option + " is not JSON: " + e.getMessage());
        }
    }

    private static String single(Deque<String> args, String message) throws AgentCtl.UsageException {
        if (args.size() != 1) {
            throw new AgentCtl.UsageException(message);
        }
        return args.removeFirst();
    }

    private static String value(Deque<String> args, String option) throws AgentCtl.UsageException {
        if (args.isEmpty()) {
            throw new AgentCtl.UsageException(option + " needs a value");
        }
        return args.removeFirst();
    }

    /** One line of a kata case's inputs.txt: {@code ["ep":"<RequestType>",<input JSON>],}. */
    record KataCase(int line, String requestType, JsonNode input) {

        static List<KataCase> read(Path inputs) throws IOException {
            List<KataCase> cases = new ArrayList<>();
            List<String> lines = Files.readAllLines(inputs);
            for (int i = 0; i < lines.size(); i++) {
                String text = lines.get(i).strip();
                if (text.isEmpty()) {
                    continue;
                }
                if (!text.startsWith("[\"ep\":")) {
                    throw new IllegalArgumentException("inputs.txt:" + (i + 1) + ": expected [\"ep\":\"Type\",{...}],");
                }
                JsonNode pair = JSON.readTree("[" + text.substring("[\"ep\":".length()).replaceFirst(",$", ""));
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual()) {
                    throw new IllegalArgumentException("inputs.txt:" + (i + 1) + ": expected [\"ep\":\"Type\",{...}],");
                }
                cases.add(new KataCase(i + 1, pair.get(0).asText(), pair.get(1)));
            }
            return cases;
        }
    }
}
