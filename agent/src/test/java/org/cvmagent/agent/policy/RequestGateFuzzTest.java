package org.cvmagent.agent.policy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.log.JsonLoggerFinder;
import org.cvmagent.agent.log.LogLevel;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.rpc.BoundMethod;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.MemoryBudget;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target: host bytes as the payload of any AgentService method → the budgeted decode → the
 * policy input → a decision of the shipped policies (the confidential default, the development
 * default, allow-all), as the ttRPC server runs them. Nothing but an answer may come out: an
 * RpcException (INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED) or a verdict; any other
 * throwable is a finding, and so is a reservation not given back. Handlers are not run: they act
 * on the machine, and their own decoders have targets of their own.
 *
 * <p>In {@code mvn test} this replays the saved inputs; {@code mvn verify} (and {@code bin/fuzz})
 * fuzz it with coverage for {@code fuzz.duration}.
 */
class RequestGateFuzzTest {

    private static final String[] POLICIES = {"coco-default.rego", "dev-default.rego", "allow-all.rego"};
    /** Small, so that inputs which expand reach the refusal paths too. */
    private static final long BUDGET = 2L << 20;

    private static Path dir;
    private static LogLevel previousLevel;
    private static List<BoundMethod> methods;
    private static List<PolicyGate> gates;
    private static Dispatcher dispatcher;

    @BeforeAll
    static void setUp() throws Exception {
        // every denial would log a warning; what counts here is that each input gets an answer
        previousLevel = JsonLoggerFinder.installedSink().orElseThrow().threshold();
        JsonLoggerFinder.installedSink().orElseThrow().setThreshold(LogLevel.CRITICAL);
        dir = Files.createTempDirectory("request-gate-fuzz");
        dispatcher = AgentServices.dispatcher(AgentConfig.defaults(), dir, false, PolicyEngine.NONE);
        methods = new ArrayList<>();
        for (ServiceBinding service : dispatcher.registry().services()) {
            methods.addAll(service.methods());
        }
        RegoCompiler rego = RegoCompilers.installed().orElseThrow();
        gates = new ArrayList<>();
        for (String name : POLICIES) {
            RegoPolicyEngine engine = new RegoPolicyEngine(rego, Duration.ofSeconds(2), CopyFileInput.Shape.KATA,
                    DecisionLog.standard());
            engine.loadInitial(policy(name), name);
            gates.add(new PolicyGate(engine));
        }
    }

    @AfterAll
    static void tearDown() throws IOException {
        JsonLoggerFinder.installedSink().orElseThrow().setThreshold(previousLevel);
        Files.deleteIfExists(dir);
    }

    private static String policy(String name) throws IOException {
        try (InputStream in = RequestGateFuzzTest.class.getResourceAsStream("/policies/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void requestBytesGetAnAnswer(FuzzedDataProvider data) throws Exception {
        BoundMethod method = methods.get(data.consumeInt(0, methods.size() - 1));
        PolicyGate gate = gates.get(data.consumeInt(0, gates.size() - 1));
        ByteString payload = ByteString.copyFrom(data.consumeRemainingAsBytes());
        MemoryBudget budget = new MemoryBudget(BUDGET);
        MemoryBudget.Reservation memory = budget.tryReserve(payload.size()).orElseThrow();
        try {
            Message request = dispatcher.decode(method, payload, memory);
            gate.check(new CallContext("ttrpc", "fuzz", method.fullName(), Map.of(),
                    System.nanoTime() + Duration.ofSeconds(5).toNanos(), memory), method, request);
        } catch (RpcException expected) {
            // the answer a hostile request is meant to get
        } finally {
            memory.close();
        }
        if (budget.held() != 0) {
            throw new AssertionError(budget.held() + " bytes of the budget not given back");
        }
    }
}
