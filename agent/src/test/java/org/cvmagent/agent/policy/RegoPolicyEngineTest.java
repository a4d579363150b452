package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.google.protobuf.ByteString;
import org.cvmagent.proto.agent.CopyFileRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.ExecProcessRequest;
import org.cvmagent.proto.agent.SetPolicyRequest;
import org.cvmagent.proto.agent.StartContainerRequest;
import org.cvmagent.proto.agent.WriteStreamRequest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegoPolicyEngineTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final RecordingLogger logger = new RecordingLogger(System.Logger.Level.INFO);

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private RegoPolicyEngine engine(FakeRego.Policy policy) {
        return engine(policy, Duration.ofSeconds(2));
    }

    private RegoPolicyEngine engine(FakeRego.Policy policy, Duration timeout) {
        RegoPolicyEngine engine = new RegoPolicyEngine(new FakeRego().with("p", policy), timeout,
                CopyFileInput.Shape.KATA, new DecisionLog(logger));
        engine.loadInitial("p", "test");
        return engine;
    }

    @Test
    void aRequestArrivingWhileTheInitialPolicyCompilesWaitsForItAndIsDecidedByIt() throws Exception {
        CountDownLatch compiling = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FakeRego deny = new FakeRego().with("p", new FakeRego.Policy()
                .constant("CreateContainerRequest", BooleanNode.FALSE));
        RegoPolicyEngine engine = new RegoPolicyEngine(source -> {
            compiling.countDown();
            release.await();
            return deny.compile(source);
        }, Duration.ofSeconds(2), CopyFileInput.Shape.KATA, new DecisionLog(logger));
        engine.loadInitialConcurrently("p", "test");
        compiling.await();
        AtomicReference<PolicyDecision> decision = new AtomicReference<>();
        Thread request = Thread.ofVirtual().start(() -> decision.set(
                engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance())));
        request.join(Duration.ofMillis(300));
        assertTrue(request.isAlive(), "decided before the policy was compiled (without a policy everything is allowed)");
        release.countDown();
        request.join(Duration.ofSeconds(10));
        assertFalse(decision.get().allowed(), "the compiled policy denies it");
    }

    @Test
    void anInitialPolicyThatFailsToCompileInTheBackgroundDeniesEverything() {
        RegoPolicyEngine engine = new RegoPolicyEngine(source -> {
            throw new StackOverflowError();
        }, Duration.ofSeconds(2), CopyFileInput.Shape.KATA, new DecisionLog(logger));
        engine.loadInitialConcurrently("p", "init-data");
        PolicyDecision decision = engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance());
        assertFalse(decision.allowed());
        assertTrue(decision.prints().toString().contains("policy init-data could not be compiled"), decision.prints().toString());
    }

    @Test
    void setPolicyWhileTheInitialPolicyCompilesWinsOverIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeRego rego = new FakeRego()
                .with("initial", new FakeRego.Policy().constant("CreateContainerRequest", BooleanNode.FALSE))
                .with("replacement", new FakeRego.Policy().constant("CreateContainerRequest", BooleanNode.TRUE));
        RegoPolicyEngine engine = new RegoPolicyEngine(source -> {
            if (source.equals("initial")) {
                release.await();
            }
            return rego.compile(source);
        }, Duration.ofSeconds(2), CopyFileInput.Shape.KATA, new DecisionLog(logger));
        engine.loadInitialConcurrently("initial", "test");
        engine.replace("replacement");
        release.countDown();
        assertTrue(engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance()).allowed());
    }

    @Test
    void trueAllowsFalseAndUndefinedAndOtherValuesDeny() {
        RegoPolicyEngine engine = engine(new FakeRego.Policy()
                .constant("CreateContainerRequest", BooleanNode.TRUE, "create: ok")
                .constant("StartContainerRequest", BooleanNode.FALSE, "start: no")
                .constant("ExecProcessRequest", json("\"yes\"")));
        PolicyDecision create = engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance());
        assertTrue(create.allowed());
        assertEquals(List.of("create: ok"), create.prints());
        PolicyDecision start = engine.evaluate("StartContainerRequest", StartContainerRequest.getDefaultInstance());
        assertFalse(start.allowed());
        assertEquals(List.of("start: no"), start.prints());
        assertFalse(engine.evaluate("RemoveContainerRequest", StartContainerRequest.getDefaultInstance()).allowed(),
                "undefined denies");
        PolicyDecision exec = engine.evaluate("ExecProcessRequest", ExecProcessRequest.getDefaultInstance());
        assertFalse(exec.allowed());
        assertTrue(exec.prints().getLast().contains("unexpected policy result type"), exec.prints().toString());
    }

    @Test
    void theInputIsKatasShapeAndTheStateIsUnderPstate() {
        AtomicReference<JsonNode> seenInput = new AtomicReference<>();
        AtomicReference<JsonNode> seenData = new AtomicReference<>();
        RegoPolicyEngine engine = engine(new FakeRego.Policy().rule("CopyFileRequest", (input, data) -> {
            seenInput.set(input);
            seenData.set(data);
            return new RegoEvaluator.Evaluation(Optional.of(BooleanNode.TRUE), List.of());
        }));
        engine.evaluate("CopyFileRequest", CopyFileRequest.newBuilder().setPath("/l").setFileMode(0120777)
                .setData(ByteString.copyFromUtf8("..data/x")).build());
        assertEquals("Symlink", seenInput.get().get("file_type").asText());
        assertEquals("..data/x", seenInput.get().get("symlink_target").asText());
        assertFalse(seenInput.get().has("data"));
        assertEquals(json("{\"pstate\":{}}"), seenData.get());
    }

    @Test
    void allowedOpsUpdateTheStateAndDeniedOnesDoNot() {
        RegoPolicyEngine engine = engine(new FakeRego.Policy()
                .rule("CreateContainerRequest", (input, data) -> {
                    String id = input.get("container_id").asText();
                    boolean fresh = !data.get("pstate").has(id);
                    return new RegoEvaluator.Evaluation(Optional.of(json("{\"allowed\":" + fresh
                            + ",\"ops\":[{\"op\":\"add\",\"path\":\"/pstate/" + id + "\",\"value\":true}]}")), List.of());
                })
                .constant("StartContainerRequest", json("{\"allowed\":true}")));
        CreateContainerRequest c1 = CreateContainerRequest.newBuilder().setContainerId("c1").build();
        assertTrue(engine.evaluate("CreateContainerRequest", c1).allowed());
        assertEquals(json("{\"pstate\":{\"c1\":true}}"), engine.data());
        assertFalse(engine.evaluate("CreateContainerRequest", c1).allowed(), "the state remembers c1");
        assertEquals(json("{\"pstate\":{\"c1\":true}}"), engine.data());
        assertTrue(engine.evaluate("StartContainerRequest", StartContainerRequest.getDefaultInstance()).allowed());
    }

    @Test
    void opsThatDoNotApplyDenyAndLeaveTheState() {
        RegoPolicyEngine engine = engine(new FakeRego.Policy().constant("CreateContainerRequest",
                json("{\"allowed\":true,\"ops\":[{\"op\":\"replace\",\"path\":\"/pstate/missing\",\"value\":1}]}")));
        PolicyDecision decision = engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance());
        assertFalse(decision.allowed());
        assertEquals(json("{\"pstate\":{}}"), engine.data());
    }

    @Test
    void anEvaluationErrorDenies() {
        RegoPolicyEngine engine = engine(new FakeRego.Policy().rule("CreateContainerRequest", (input, data) -> {
            throw new IllegalStateException("rules.rego:12:3: division by zero");
        }));
        PolicyDecision decision = engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance());
        assertFalse(decision.allowed());
        assertTrue(decision.prints().getLast().contains("division by zero"), decision.prints().toString());
    }

    @Test
    void anEvaluationPastTheTimeoutDeniesAndReleasesTheEngine() {
        CountDownLatch never = new CountDownLatch(1);
        RegoPolicyEngine engine = engine(new FakeRego.Policy()
                .rule("ExecProcessRequest", (input, data) -> {
                    never.await(); // ignores its deadline, as a buggy engine might
                    return new RegoEvaluator.Evaluation(Optional.of(BooleanNode.TRUE), List.of());
                })
                .constant("StartContainerRequest", BooleanNode.TRUE), Duration.ofMillis(200));
        long start = System.nanoTime();
        PolicyDecision decision = engine.evaluate("ExecProcessRequest", ExecProcessRequest.getDefaultInstance());
        assertFalse(decision.allowed());
        assertTrue(decision.prints().getLast().contains("timed out"), decision.prints().toString());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(2)) < 0);
        assertTrue(engine.evaluate("StartContainerRequest", StartContainerRequest.getDefaultInstance()).allowed());
    }

    @Test
    void allowRequestsFailingPolicyLetsDenialsThroughButNotErrors() {
        RegoPolicyEngine engine = engine(new FakeRego.Policy()
                .constant(RegoPolicyEngine.ALLOW_FAILURES_RULE, BooleanNode.TRUE)
                .constant("StartContainerRequest", BooleanNode.FALSE, "start: no")
                .rule("ExecProcessRequest", (input, data) -> {
                    throw new IllegalStateException("boom");
                }));
        PolicyDecision start = engine.evaluate("StartContainerRequest", StartContainerRequest.getDefaultInstance());
        assertTrue(start.allowed());
        assertEquals(List.of("start: no"), start.prints());
        assertTrue(engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance()).allowed(),
                "undefined is let through too");
        assertFalse(engine.evaluate("ExecProcessRequest", ExecProcessRequest.getDefaultInstance()).allowed());
        assertTrue(logger.entries.stream().anyMatch(e -> e.message().contains("\"allowed_by\":\"AllowRequestsFailingPolicy\"")));
    }

    @Test
    void withoutTheFlagNothingIsOverridden() {
        RegoPolicyEngine engine = engine(new FakeRego.Policy()
                .constant(RegoPolicyEngine.ALLOW_FAILURES_RULE, BooleanNode.FALSE));
        assertFalse(engine.evaluate("StartContainerRequest", StartContainerRequest.getDefaultInstance()).allowed());
    }

    @Test
    void aStartPolicyThatDoesNotCompileDeniesEverything() {
        RegoPolicyEngine engine = new RegoPolicyEngine(new FakeRego(), Duration.ofSeconds(1),
                CopyFileInput.Shape.KATA, new DecisionLog(logger));
        engine.loadInitial("bad policy", "/etc/kata-opa/default-policy.rego");
        PolicyDecision decision = engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance());
        assertFalse(decision.allowed());
        assertTrue(decision.prints().getFirst().contains("3:7"), decision.prints().toString());
    }

    @Test
    void withoutAPolicyEverythingIsAllowedUntilOneIsSet() throws Exception {
        RegoPolicyEngine engine = new RegoPolicyEngine(new FakeRego().with("deny", new FakeRego.Policy()),
                Duration.ofSeconds(1), CopyFileInput.Shape.KATA, new DecisionLog(logger));
        assertTrue(engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance()).allowed());
        engine.replace("deny");
        assertFalse(engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance()).allowed());
    }

    @Test
    void replaceResetsTheStateAndABadPolicyKeepsTheOldOne() throws Exception {
        FakeRego.Policy stateful = new FakeRego.Policy().constant("CreateContainerRequest",
                json("{\"allowed\":true,\"ops\":[{\"op\":\"add\",\"path\":\"/pstate/n\",\"value\":1}]}"));
        FakeRego.Policy denyCreate = new FakeRego.Policy().constant("CreateContainerRequest", BooleanNode.FALSE);
        RegoPolicyEngine engine = new RegoPolicyEngine(new FakeRego().with("p", stateful).with("deny", denyCreate),
                Duration.ofSeconds(1), CopyFileInput.Shape.KATA, new DecisionLog(logger));
        engine.loadInitial("p", "test");
        assertTrue(engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance()).allowed());
        assertEquals(json("{\"pstate\":{\"n\":1}}"), engine.data());
        PolicyCompileException bad = assertThrows(PolicyCompileException.class, () -> engine.replace("bad"));
        assertTrue(bad.getMessage().contains("3:7"));
        assertEquals(json("{\"pstate\":{\"n\":1}}"), engine.data(), "a refused policy changes nothing");
        assertTrue(engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance()).allowed());
        engine.replace("deny");
        assertEquals(json("{\"pstate\":{}}"), engine.data());
        assertFalse(engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance()).allowed());
    }

    @Test
    void decisionsAreSerialized() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        RegoPolicyEngine engine = engine(new FakeRego.Policy().rule("StartContainerRequest", (input, data) -> {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            Thread.sleep(1);
            inside.decrementAndGet();
            int n = data.get("pstate").path("n").asInt();
            return new RegoEvaluator.Evaluation(Optional.of(json("{\"allowed\":true,\"ops\":[{\"op\":\"add\","
                    + "\"path\":\"/pstate/n\",\"value\":" + (n + 1) + "}]}")), List.of());
        }));
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 10; i++) {
                    engine.evaluate("StartContainerRequest", StartContainerRequest.getDefaultInstance());
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(0, overlaps.get());
        assertEquals(80, engine.data().get("pstate").get("n").asInt(), "no update was lost");
    }

    @Test
    void decisionLogLinesAreJsonAndCarryTheBodyOnlyAtDebug() throws Exception {
        RegoPolicyEngine quiet = engine(new FakeRego.Policy().constant("CreateContainerRequest",
                json("{\"allowed\":true,\"ops\":[{\"op\":\"add\",\"path\":\"/pstate/n\",\"value\":1}]}")));
        quiet.evaluate("CreateContainerRequest", CreateContainerRequest.newBuilder().setContainerId("c1").build());
        JsonNode line = JSON.readTree(logger.entries.getLast().message());
        assertEquals("CreateContainerRequest", line.get("request").asText());
        assertTrue(line.get("allowed").asBoolean());
        assertTrue(line.get("elapsed_us").isIntegralNumber());
        assertFalse(line.has("input"));

        RecordingLogger debug = new RecordingLogger(System.Logger.Level.DEBUG);
        RegoPolicyEngine verbose = new RegoPolicyEngine(new FakeRego().with("p", new FakeRego.Policy()
                .constant("CreateContainerRequest", BooleanNode.TRUE)
                .constant("SetPolicyRequest", BooleanNode.TRUE)
                .constant("WriteStreamRequest", BooleanNode.FALSE)), Duration.ofSeconds(1),
                CopyFileInput.Shape.KATA, new DecisionLog(debug));
        verbose.loadInitial("p", "test");
        verbose.evaluate("CreateContainerRequest", CreateContainerRequest.newBuilder().setContainerId("c1").build());
        verbose.evaluate("SetPolicyRequest", SetPolicyRequest.newBuilder().setPolicy("secret rules").build());
        verbose.evaluate("WriteStreamRequest", WriteStreamRequest.newBuilder().setData(ByteString.copyFromUtf8("pw")).build());
        List<JsonNode> lines = new ArrayList<>();
        for (RecordingLogger.Entry entry : debug.entries) {
            if (entry.message().startsWith("{")) {
                lines.add(JSON.readTree(entry.message()));
            }
        }
        assertEquals(3, lines.size());
        assertEquals("c1", lines.get(0).get("input").get("container_id").asText());
        assertFalse(lines.get(1).has("input"));
        assertFalse(lines.get(2).has("input"));
        assertFalse(lines.get(2).get("allowed").asBoolean());
        assertEquals(System.Logger.Level.WARNING, debug.entries.getLast().level());
    }

    @Test
    void routineAllowsAreDebugWhileDenialsAndPolicyChangesAreLoggedAtInfoOrAbove() throws Exception {
        RegoPolicyEngine engine = engine(new FakeRego.Policy()
                .constant("CreateContainerRequest", BooleanNode.TRUE)
                .constant("ReadStreamRequest", BooleanNode.TRUE)
                .constant("WriteStreamRequest", BooleanNode.FALSE)
                .constant("StartContainerRequest",
                        json("{\"allowed\":true,\"ops\":[{\"op\":\"add\",\"path\":\"/pstate/n\",\"value\":1}]}"))
                .constant("SetPolicyRequest", BooleanNode.TRUE));
        engine.evaluate("CreateContainerRequest", CreateContainerRequest.getDefaultInstance());
        engine.evaluate("ReadStreamRequest", org.cvmagent.proto.agent.ReadStreamRequest.getDefaultInstance());
        engine.evaluate("WriteStreamRequest", WriteStreamRequest.getDefaultInstance());
        engine.evaluate("StartContainerRequest", StartContainerRequest.getDefaultInstance());
        engine.evaluate("SetPolicyRequest", SetPolicyRequest.getDefaultInstance());
        List<String> logged = new ArrayList<>();
        for (RecordingLogger.Entry entry : logger.entries) {
            if (entry.message().startsWith("{")) {
                JsonNode line = JSON.readTree(entry.message());
                logged.add(line.get("request").asText() + " " + entry.level());
            }
        }
        // the INFO logger: the routine allows (CreateContainer, ReadStream) were DEBUG
        assertEquals(List.of("WriteStreamRequest WARNING", "StartContainerRequest INFO", "SetPolicyRequest INFO"), logged);
    }
}
