package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The regex builtins against the Rust regex crate's answers (regorus's engine), case by case, from
 * rego/regex-cases.jsonl (written by tools/regex-oracle/gen.py): every pattern the kata policy
 * cases match with, on subjects at each edge (trailing \n \r \r\n U+2028 U+0085 NUL, non-ASCII
 * digits and letters, 1 MiB, nested-quantifier worst cases), and a table of where Rust's regex
 * syntax and meaning differ from Go's RE2 (re2j's) and from java.util.regex. Zero differences.
 */
class RegexCasesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final RegoPolicy POLICY = compile();

    private static RegoPolicy compile() {
        try {
            return RegoPolicy.compile(List.of("""
                    package t
                    match := regex.match(input.p, input.s)
                    valid := regex.is_valid(input.p)
                    find := regex.find_n(input.p, input.s, -1)
                    split := regex.split(input.p, input.s)
                    submatch := regex.find_all_string_submatch_n(input.p, input.s, -1)
                    replace := regex.replace(input.s, input.p, input.r)
                    """));
        } catch (RegoException e) {
            throw new IllegalStateException(e);
        }
    }

    static String subject(JsonNode c) {
        if (c.has("repeat")) {
            return c.get("prefix").asText() + c.get("unit").asText().repeat(c.get("repeat").asInt())
                    + c.get("suffix").asText();
        }
        return c.path("subject").asText();
    }

    /** What the builtin answers: its value, null when undefined, "error" when it raised one. */
    static JsonNode run(String op, String pattern, String subject, String repl) {
        ObjectNode input = JSON.createObjectNode();
        input.put("p", pattern).put("s", subject).put("r", repl);
        try {
            QueryResult r = POLICY.query("data.t." + op, input, JSON.createObjectNode());
            return r.value().orElse(JsonNodeFactory.instance.nullNode());
        } catch (RegoException e) {
            return JsonNodeFactory.instance.textNode("error");
        }
    }

    @Test
    void everyCaseAnswersAsTheRustRegexCrate() throws Exception {
        List<String> failures = new ArrayList<>();
        Map<String, int[]> perGroup = new TreeMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                RegexCasesTest.class.getResourceAsStream("/rego/regex-cases.jsonl"), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode c = JSON.readTree(line);
                String op = c.get("op").asText();
                JsonNode want = c.get("expect");
                JsonNode got = run(op, c.get("pattern").asText(), subject(c), c.path("repl").asText(""));
                boolean ok = want.equals(got);
                int[] counts = perGroup.computeIfAbsent(c.get("group").asText(), g -> new int[2]);
                counts[ok ? 0 : 1]++;
                if (!ok) {
                    String s = subject(c);
                    failures.add(op + " " + JSON.writeValueAsString(c.get("pattern").asText()) + " on "
                            + JSON.writeValueAsString(s.length() > 80 ? s.substring(0, 80) + "..." : s)
                            + ": want " + want + ", got " + got);
                }
            }
        }
        perGroup.forEach((g, n) -> System.out.println("regex cases " + g + ": " + n[0] + "/" + (n[0] + n[1])));
        failures.stream().limit(60).forEach(System.out::println);
        assertTrue(failures.isEmpty(), failures.size() + " differences from the Rust regex crate, first: "
                + (failures.isEmpty() ? "" : failures.get(0)));
    }

    @Test
    void theTranslationIsExplicit() throws Exception {
        // $ and ^ become end/start of text, \d the Unicode decimal digits, . anything but \n
        assertEquals("\\A\\x{61}\\z", RustRegex.toRe2j("^a$"));
        assertEquals("[\\x{0}-\\x{9}\\x{b}-\\x{d7ff}\\x{e000}-\\x{10ffff}]", RustRegex.toRe2j("."));
        assertTrue(RustRegex.toRe2j("\\d").contains("\\x{660}-\\x{669}"), RustRegex.toRe2j("\\d"));
    }
}
