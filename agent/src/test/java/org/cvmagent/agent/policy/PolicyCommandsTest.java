package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import org.cvmagent.agent.cli.AgentCtl;
import org.cvmagent.agent.cli.ClientFactory;
import org.cvmagent.agent.cli.MethodCatalog;
import org.cvmagent.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cvm-agent-ctl policy ...} with a fake Rego compiler. */
class PolicyCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private final FakeRego rego = new FakeRego()
            .with("exec-ls", new FakeRego.Policy()
                    .rule("ExecProcessRequest", (input, data) -> new RegoEvaluator.Evaluation(
                            Optional.of(BooleanNode.valueOf(input.path("process").path("Args").path(0).asText().equals("ls"))),
                            List.of("policy.rego:7: args = " + input.path("process").path("Args"))))
                    .rule("CreateContainerRequest", (input, data) -> new RegoEvaluator.Evaluation(
                            Optional.of(JSON.readTree("{\"allowed\":" + !data.get("pstate").has("done")
                                    + ",\"ops\":[{\"op\":\"add\",\"path\":\"/pstate/done\",\"value\":true}]}")),
                            List.of())));

    private int run(Optional<RegoCompiler> compiler, String... args) {
        AgentCtl ctl = new AgentCtl(new ClientFactory(new Transports()), MethodCatalog.agentServices(),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), compiler);
        return ctl.run(args);
    }

    private int run(String... args) {
        return run(Optional.of(rego), args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path write(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void checkCompilesOrSaysWhereItFails() throws Exception {
        Path good = write("good.rego", "exec-ls");
        assertEquals(0, run("policy", "check", good.toString()));
        assertEquals(good + ": ok\n", out());
        Path bad = write("bad.rego", "bad {");
        assertEquals(1, run("policy", "check", bad.toString()));
        assertTrue(err().contains("policy.rego:3:7"), err());
    }

    @Test
    void evalDecidesOneRequest() throws Exception {
        Path policy = write("p.rego", "exec-ls");
        assertEquals(0, run("policy", "eval", "--policy", policy.toString(), "--request-type", "ExecProcessRequest",
                "--input", "{\"process\":{\"Args\":[\"ls\",\"/\"]}}"));
        JsonNode report = JSON.readTree(out());
        assertTrue(report.get("allowed").asBoolean());
        assertEquals("policy.rego:7: args = [\"ls\",\"/\"]", report.get("prints").get(0).asText());
        out.reset();
        Path input = write("input.json", "{\"process\":{\"Args\":[\"sh\"]}}");
        assertEquals(1, run("policy", "eval", "--policy", policy.toString(), "--request-type", "ExecProcessRequest",
                "--input", "@" + input));
        assertEquals(false, JSON.readTree(out()).get("allowed").asBoolean());
        out.reset();
        assertEquals(0, run("policy", "eval", "--policy", policy.toString(), "--request-type", "CreateContainerRequest"));
        assertEquals(JSON.readTree("{\"done\":true}"), JSON.readTree(out()).get("state"));
        out.reset();
        assertEquals(1, run("policy", "eval", "--policy", policy.toString(), "--request-type", "CreateContainerRequest",
                "--state", "{\"done\":true}"));
    }

    @Test
    void evalRefusesUnknownRequestTypes() throws Exception {
        Path policy = write("p.rego", "exec-ls");
        assertEquals(2, run("policy", "eval", "--policy", policy.toString(), "--request-type", "ExecProcess"));
        assertTrue(err().contains("unknown request type ExecProcess"), err());
        assertEquals(2, run("policy", "eval", "--request-type", "ExecProcessRequest"));
    }

    @Test
    void testReplaysACaseAndCountsMismatches() throws Exception {
        Path caseDir = Files.createDirectory(dir.resolve("case"));
        Files.writeString(caseDir.resolve("policy.rego"), "exec-ls");
        Files.writeString(caseDir.resolve("inputs.txt"), """
                ["ep":"AllowRequestsFailingPolicy",{}],

                ["ep":"ExecProcessRequest",{"process":{"Args":["ls"]}}],

                ["ep":"CreateContainerRequest",{}],

                ["ep":"CreateContainerRequest",{}],

                ["ep":"ExecProcessRequest",{"process":{"Args":["sh"]}}],
                """);
        Files.writeString(caseDir.resolve("outputs.json"),
                "[false, true, {\"allowed\":true,\"ops\":[{\"op\":\"add\",\"path\":\"/pstate/done\",\"value\":true}]},"
                        + " {\"allowed\":false,\"ops\":[{\"op\":\"add\",\"path\":\"/pstate/done\",\"value\":true}]}, true]");
        Files.writeString(caseDir.resolve("prints.json"), """
                [[], ["tests/kata/data/case/policy.rego:7: args = [\\"ls\\"]"], [], [], ["policy.rego:7: args = [\\"sh\\"]"]]
                """);
        assertEquals(1, run("policy", "test", caseDir.toString()));
        List<String> lines = out().lines().toList();
        assertEquals(List.of(
                "inputs.txt:1 AllowRequestsFailingPolicy: value: expected false, got undefined",
                "inputs.txt:9 ExecProcessRequest: value: expected true, got false",
                "3 passed, 2 failed"), lines);

        Files.writeString(caseDir.resolve("inputs.txt"), "[\"ep\":\"ExecProcessRequest\",{\"process\":{\"Args\":[\"ls\"]}}],\n");
        Files.writeString(caseDir.resolve("outputs.json"), "[true]");
        Files.writeString(caseDir.resolve("prints.json"), "[[\"x.rego:7: args = [\\\"ls\\\"]\"]]");
        out.reset();
        assertEquals(0, run("policy", "test", caseDir.toString()));
        assertEquals("1 passed, 0 failed\n", out());
    }

    @Test
    void withoutARegoEngineThePolicyCommandsSaySo() throws Exception {
        Path policy = write("p.rego", "exec-ls");
        assertEquals(4, run(Optional.empty(), "policy", "check", policy.toString()));
        assertTrue(err().contains("need a Rego engine"), err());
    }

    @Test
    void badUsage() {
        assertEquals(2, run("policy"));
        assertEquals(2, run("policy", "frob"));
        assertEquals(2, run("policy", "test", dir.resolve("missing").toString()));
    }

    /** With the agent's Rego engine: every kata case of the shared test data passes. */
    @Test
    void withTheRealEngineEveryKataCasePasses() {
        Optional<RegoCompiler> real = RegoCompilers.installed();
        assertTrue(real.isPresent(), "the Rego engine is not found through ServiceLoader");
        for (Path folder : KataPolicyCases.folders()) {
            out.reset();
            assertEquals(0, run(real, "policy", "test", folder.toString()), folder + "\n" + out() + err());
        }
    }
}
