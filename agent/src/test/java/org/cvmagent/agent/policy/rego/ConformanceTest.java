package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the YAML conformance cases (from regorus) and fails on any failing case that is not listed,
 * with its reason, in known-failures.txt — and on a listed case that now passes, so the list stays
 * honest.
 */
class ConformanceTest {
    static final Path CASES = Path.of("/work/shared/testdata/rego-cases");
    /**
     * Our own cases in the same format (test resources rego/cases), for builtins the shared set does
     * not cover; each file says which OPA or regorus tests it follows. Reported as folder "extra".
     */
    static final Path EXTRA_CASES = resourceDir("/rego/cases");
    /** Folders of regorus language extensions that are not OPA Rego, left out of the OPA-Rego pass rate. */
    private static final List<String> EXTENSION_PREFIXES = List.of("target/", "rego-extensions/",
            "limits/execution_timer.yaml");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** A floor under the pass rate, raised as the engine grows, so a regression cannot hide in the list. */
    private static final int MIN_PASS_PERCENT = 98;

    /** One case's outcome: null reason when it passed. */
    record Outcome(String id, String folder, String failure) {
    }

    @Test
    void conformanceCases() throws Exception {
        Map<String, String> known = knownFailures();
        List<Outcome> outcomes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        for (Path root : List.of(CASES, EXTRA_CASES)) {
            try (Stream<Path> s = Files.walk(root)) {
                files.addAll(s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList());
            }
        }
        for (Path f : files) {
            String rel = f.startsWith(EXTRA_CASES) ? "extra/" + EXTRA_CASES.relativize(f) : CASES.relativize(f).toString();
            String folder = rel.contains("/") ? rel.substring(0, rel.indexOf('/')) : ".";
            JsonNode doc = YAML.readTree(f.toFile());
            JsonNode cases = doc == null ? null : doc.get("cases");
            if (cases == null) {
                continue;
            }
            List<org.yaml.snakeyaml.nodes.Node> yamlCases = TypedYamlKeys.cases(f);
            for (int i = 0; i < cases.size(); i++) {
                JsonNode c = cases.get(i);
                if (c.path("skip").asBoolean(false)) {
                    continue;
                }
                if (i < yamlCases.size() && c instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
                    TypedYamlKeys.apply(o, yamlCases.get(i));
                }
                String id = rel + "::" + c.path("note").asText();
                String failure = run(c, rel);
                if (failure == null && rel.startsWith("extra/") && c.has("error")) {
                    failure = errorTextMismatch(c);
                }
                outcomes.add(new Outcome(id, folder, failure));
            }
        }
        Map<String, int[]> perFolder = new TreeMap<>();
        List<String> unexpected = new ArrayList<>();
        List<String> fixed = new ArrayList<>();
        for (Outcome o : outcomes) {
            int[] n = perFolder.computeIfAbsent(o.folder(), k -> new int[2]);
            n[1]++;
            if (o.failure() == null) {
                n[0]++;
                if (known.containsKey(o.id())) {
                    fixed.add(o.id());
                }
            } else if (!known.containsKey(o.id())) {
                unexpected.add(o.id() + " -- " + o.failure());
            }
        }
        int pass = 0;
        StringBuilder report = new StringBuilder("conformance:\n");
        for (Map.Entry<String, int[]> e : perFolder.entrySet()) {
            pass += e.getValue()[0];
            report.append(String.format("  %-16s %d/%d%n", e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        report.append(String.format("  total            %d/%d%n", pass, outcomes.size()));
        int opaPass = 0;
        int opaTotal = 0;
        for (Outcome o : outcomes) {
            if (EXTENSION_PREFIXES.stream().noneMatch(o.id()::startsWith)) {
                opaTotal++;
                opaPass += o.failure() == null ? 1 : 0;
            }
        }
        report.append(String.format("  OPA Rego only    %d/%d (without regorus's target, `or` and engine-timer extensions)%n",
                opaPass, opaTotal));
        System.out.print(report);
        if (System.getProperty("rego.conformance.dump") != null) {
            for (Outcome o : outcomes) {
                if (o.failure() != null) {
                    System.out.println("FAIL " + o.id() + " -- " + o.failure().replace('\n', ' '));
                }
            }
        }
        assertTrue(unexpected.isEmpty(), "unexpected failures:\n" + String.join("\n", unexpected));
        assertTrue(fixed.isEmpty(), "cases now passing, remove from known-failures.txt:\n" + String.join("\n", fixed));
        assertTrue(pass * 100 >= outcomes.size() * MIN_PASS_PERCENT, "pass rate too low: " + pass + "/" + outcomes.size());
    }

    private static Path resourceDir(String name) {
        try {
            return Path.of(ConformanceTest.class.getResource(name).toURI());
        } catch (java.net.URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource " + name + " missing", e);
        }
    }

    private static Map<String, String> knownFailures() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (InputStream in = ConformanceTest.class.getResourceAsStream("/rego/known-failures.txt")) {
            if (in == null) {
                fail("known-failures.txt missing");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int sep = line.indexOf(" -- ");
                if (sep < 0) {
                    fail("known failure without a reason: " + line);
                }
                out.put(line.substring(0, sep).strip(), line.substring(sep + 4).strip());
            }
        }
        return out;
    }

    /**
     * Our own cases also say what the error is about: the message must contain the case's `error`
     * text (regorus's cases name regorus's wording, so theirs are only required to fail).
     */
    static String errorTextMismatch(JsonNode c) {
        List<String> modules = new ArrayList<>();
        c.path("modules").forEach(m -> modules.add(m.asText()));
        String want = c.get("error").asText();
        try {
            RegoPolicy.compile(modules).queryValue(c.path("query").asText().strip(), c.get("input"), c.get("data"),
                    c.path("strict").asBoolean(true));
            return "wanted error " + want + ", got none";
        } catch (RegoException e) {
            return e.getMessage().contains(want) ? null : "wanted error containing " + want + ", got " + e.getMessage();
        }
    }

    /**
     * The extensions a case of file rel is run with, as regorus's test runner sets them: `or` for
     * the rego-extensions cases, targets for the target cases (which it compiles for their target too), the case's execution timer (its
     * own, else the "global" one unless that is disabled) over a clock that advances by the case's
     * time_source steps at each reading.
     */
    static RegoOptions options(JsonNode c, String rel) {
        RegoOptions o = RegoOptions.DEFAULT;
        if (rel.contains("target")) {
            o = o.withTargets(TARGETS);
        }
        if (rel.startsWith("rego-extensions/")) {
            o = o.withOrOperator();
        }
        JsonNode timer = c.has("execution_timer") ? c.get("execution_timer") : c.get("global_execution_timer");
        if (timer != null && !timer.path("disable").asBoolean(false) && timer.has("limit_ms")) {
            o = o.withExecutionTimer(new ExecutionTimer(java.time.Duration.ofMillis(timer.get("limit_ms").asLong()),
                    timer.path("check_interval").asInt(1), steppedClock(c.path("time_source"))));
        }
        return o;
    }

    /** A clock that moves by increments_ms[i] at the i-th reading, then by default_increment_ms. */
    private static java.util.function.LongSupplier steppedClock(JsonNode source) {
        if (source.isMissingNode()) {
            return System::nanoTime;
        }
        long[] state = new long[2]; // readings so far, time in ms
        return () -> {
            JsonNode steps = source.path("increments_ms");
            int i = (int) state[0]++;
            state[1] += i < steps.size() ? steps.get(i).asLong() : source.path("default_increment_ms").asLong(0);
            return state[1] * 1_000_000L;
        };
    }

    static final TargetRegistry TARGETS = loadTargets();

    /** Our target definitions (test resources rego/targets), written for what the target cases use. */
    private static TargetRegistry loadTargets() {
        try (Stream<Path> s = Files.list(resourceDir("/rego/targets"))) {
            List<Target> targets = new ArrayList<>();
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                targets.add(Target.fromJson(new ObjectMapper().readTree(p.toFile())));
            }
            return TargetRegistry.of(targets);
        } catch (IOException | RegoException e) {
            throw new IllegalStateException("target definitions: " + e.getMessage(), e);
        }
    }

    /** Runs one case of file rel; returns why it failed, or null. */
    static String run(JsonNode c, String rel) {
        if (c.path("input").has("many!")) {
            return runEachInput(c, rel);
        }
        List<String> modules = new ArrayList<>();
        c.path("modules").forEach(m -> modules.add(m.asText()));
        String query = c.path("query").asText().strip();
        JsonNode input = c.has("input") ? c.get("input") : null;
        JsonNode data = c.has("data") ? c.get("data") : null;
        boolean strict = c.path("strict").asBoolean(true);
        boolean wantError = c.has("error") || c.has("want_error");
        RegoOptions options = options(c, rel);
        if (options.targets() != null && input == null) {
            // regorus's runner evaluates a target case without input on an empty object
            input = YAML.createObjectNode();
        }
        try {
            RegoPolicy policy = RegoPolicy.compile(modules, options);
            TargetResolver.Effect effect = options.targets() != null ? policy.resolveTarget() : null;
            Value got;
            if (query.matches("data(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
                Optional<Value> v = policy.queryValue(query, input, data, strict);
                if (effect != null) {
                    // regorus's runner asks the engine and the policy compiled for its target, and
                    // requires the same answer; the latter checks the effect's schema
                    Optional<Value> e = policy.evalEffect(effect, input, data, strict);
                    if (!e.equals(v)) {
                        return "query gives " + v.map(Values::toDisplay) + ", the target's effect " + e.map(Values::toDisplay);
                    }
                }
                if (wantError) {
                    return "wanted error " + c.path("error").asText() + ", got " + v.map(Values::toDisplay);
                }
                if (c.path("no_result").asBoolean(false) || "#undefined".equals(c.path("want_result").asText(null))) {
                    return v.isEmpty() ? null : "wanted no result, got " + Values.toDisplay(v.get());
                }
                if (v.isEmpty()) {
                    return "undefined, wanted " + c.get("want_result");
                }
                got = v.get();
            } else if (c.path("want_result").has("many!") && query.contains("\n")) {
                // several expressions, several results: each result is the list of expression values
                List<Value> rows = new ArrayList<>();
                for (List<Value> r : policy.queryExpressionValues(query, input, data, strict)) {
                    rows.add(Values.arr(new ArrayList<>(r)));
                }
                got = Values.arr(rows);
                Value want = expected(c.get("want_result").get("many!"));
                return want.equals(got) ? null : "wanted " + Values.toDisplay(want) + " got " + Values.toDisplay(got);
            } else {
                List<Map<String, Value>> rows = policy.queryBody(query, input, data, strict);
                if (wantError) {
                    return "wanted error " + c.path("error").asText() + ", got " + rows.size() + " results";
                }
                if (c.path("no_result").asBoolean(false)) {
                    return rows.isEmpty() ? null : "wanted no result";
                }
                if (rows.size() != 1) {
                    return "wanted one result, got " + rows.size();
                }
                if (rows.get(0).containsKey("")) {
                    Value want = expected(c.get("want_result"));
                    Value v = rows.get(0).get("");
                    return want.equals(v) ? null : "wanted " + Values.toDisplay(want) + " got " + Values.toDisplay(v);
                }
                got = Values.obj(new TreeMap<>(rows.get(0).entrySet().stream()
                        .collect(java.util.stream.Collectors.toMap(e -> (Value) Value.str(e.getKey()), Map.Entry::getValue))));
            }
            Value want = expected(c.get("want_result"));
            return want.equals(got) ? null : "wanted " + Values.toDisplay(want) + " got " + Values.toDisplay(got);
        } catch (RegoException e) {
            return wantError ? null : "error: " + e.getMessage();
        } catch (RuntimeException e) {
            return "crash: " + e;
        }
    }

    /**
     * A case whose input is {"many!": [...]} is evaluated once per input, the i-th result compared
     * with the i-th entry of want_result's "many!" list (regorus's runner does the same).
     */
    static String runEachInput(JsonNode c, String rel) {
        JsonNode inputs = c.path("input").path("many!");
        JsonNode wants = c.path("want_result").path("many!");
        if (!c.has("error") && wants.size() != inputs.size()) {
            return "want_result has " + wants.size() + " entries for " + inputs.size() + " inputs";
        }
        for (int i = 0; i < inputs.size(); i++) {
            com.fasterxml.jackson.databind.node.ObjectNode one = ((com.fasterxml.jackson.databind.node.ObjectNode) c).deepCopy();
            one.set("input", inputs.get(i));
            if (!c.has("error")) {
                one.set("want_result", wants.get(i));
            }
            String failure = run(one, rel);
            if (failure != null) {
                return "input " + i + ": " + failure;
            }
        }
        return null;
    }

    /** Converts an expected YAML value, turning {"set!": [...]} into sets. */
    static Value expected(JsonNode n) {
        if (n == null) {
            return Value.NULL;
        }
        if (n.isObject() && n.size() == 1 && n.has("set!")) {
            TreeSet<Value> s = new TreeSet<>();
            n.get("set!").forEach(e -> s.add(expected(e)));
            return Values.set(s);
        }
        if (n.isObject() && n.size() == 1 && n.has("object!")) {
            TreeMap<Value, Value> m = new TreeMap<>();
            n.get("object!").forEach(e -> m.put(expected(e.get("key")), expected(e.get("value"))));
            return Values.obj(m);
        }
        if (n.isArray()) {
            List<Value> items = new ArrayList<>();
            n.forEach(e -> items.add(expected(e)));
            return Values.arr(items);
        }
        if (n.isObject()) {
            TreeMap<Value, Value> m = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(Value.str(e.getKey()), expected(e.getValue()));
            }
            return Values.obj(m);
        }
        return Values.fromJson(n);
    }
}
