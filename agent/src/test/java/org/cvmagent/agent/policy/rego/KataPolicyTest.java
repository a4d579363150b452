package org.cvmagent.agent.policy.rego;

import org.cvmagent.agent.policy.JsonPatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays the agent requests of real pods against the genpolicy policies they were generated
 * with, in order on one policy (the policy state under data.pstate carries over), and compares
 * each decision and the print output with what regorus produced.
 */
class KataPolicyTest {
    static final Path CASES = Path.of("/work/shared/testdata/kata-policy");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> kataCases() throws IOException {
        try (Stream<Path> dirs = Files.list(CASES)) {
            return dirs.sorted().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> replay(d)))
                    .toList().stream();
        }
    }

    /** One request line: the rule to query and its input. */
    record Request(String rule, JsonNode input) {
    }

    static List<Request> requests(Path dir) throws IOException {
        List<Request> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("inputs.txt"))) {
            String l = line.strip();
            if (l.isEmpty()) {
                continue;
            }
            l = l.replaceFirst("^\\[\"ep\":", "[");
            if (l.endsWith(",")) {
                l = l.substring(0, l.length() - 1);
            }
            JsonNode arr = JSON.readTree(l);
            out.add(new Request(arr.get(0).asText(), arr.get(1)));
        }
        return out;
    }

    /** The print line without the "file:line: " location regorus puts in front. */
    static String stripLocation(String p) {
        return p.replaceFirst("^\\S*\\.rego:\\d+: ", "");
    }

    private static void replay(Path dir) throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of(Files.readString(dir.resolve("policy.rego"))));
        JsonNode outputs = JSON.readTree(dir.resolve("outputs.json").toFile());
        JsonNode prints = JSON.readTree(dir.resolve("prints.json").toFile());
        List<Request> reqs = requests(dir);
        assertEquals(outputs.size(), reqs.size(), "one expected output per request");
        JsonNode data = JSON.createObjectNode().set("pstate", JSON.createObjectNode());
        int passed = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < reqs.size(); i++) {
            Request r = reqs.get(i);
            QueryResult res = policy.query("data.agent_policy." + r.rule(), r.input(), data);
            JsonNode got = res.value().orElse(null);
            JsonNode want = outputs.get(i);
            List<String> wantPrints = new ArrayList<>();
            prints.get(i).forEach(p -> wantPrints.add(stripLocation(p.asText())));
            boolean ok = JsonEquality.equal(want, got) && wantPrints.equals(res.prints());
            if (ok) {
                passed++;
            } else {
                failures.add("line " + (i + 1) + " " + r.rule() + ": want " + want + " got " + got
                        + (wantPrints.equals(res.prints()) ? "" : "\n  prints differ: " + firstDiff(wantPrints, res.prints())));
            }
            if (got != null && got.isObject() && got.has("ops")) {
                data = JsonPatch.apply(data, got.get("ops"));
            }
        }
        System.out.println("kata " + dir.getFileName() + ": " + passed + "/" + reqs.size() + " passed");
        assertTrue(failures.isEmpty(), dir.getFileName() + ":\n" + String.join("\n", failures));
    }

    static String firstDiff(List<String> want, List<String> got) {
        for (int i = 0; i < Math.max(want.size(), got.size()); i++) {
            String w = i < want.size() ? want.get(i) : "<none>";
            String g = i < got.size() ? got.get(i) : "<none>";
            if (!w.equals(g)) {
                return "#" + i + "\n   want: " + w + "\n   got:  " + g + " (want " + want.size() + " lines, got "
                        + got.size() + ")";
            }
        }
        return "";
    }
}
