package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The builtins regorus has beyond kata's genpolicy set (semver, net, object.subset, json.remove,
 * JSON Schema, urlquery, yaml, graph, regex.globs_match/template_match, glob.quote_meta, trace,
 * walk): results, and undefined versus error on bad operands.
 */
class ExtraBuiltinsTest {
    /** The value of expr in strict evaluation as print() shows it, or "undefined". */
    private static String eval(String expr) throws RegoException {
        RegoPolicy p = RegoPolicy.compile(List.of("package t\nimport rego.v1\nx := " + expr + "\n"));
        Optional<Value> v = p.queryValue("data.t.x", null, null, true);
        return v.map(Values::toDisplay).orElse("undefined");
    }

    /** The value of expr outside strict mode, where a builtin's rejected operands make it undefined. */
    private static String lax(String expr) throws RegoException {
        RegoPolicy p = RegoPolicy.compile(List.of("package t\nimport rego.v1\nx := " + expr + "\n"));
        return p.queryValue("data.t.x", null, null, false).map(Values::toDisplay).orElse("undefined");
    }

    private static String error(String expr) {
        return assertThrows(RegoException.class, () -> eval(expr), expr).getMessage();
    }

    @Test
    void semver() throws Exception {
        assertEquals("-1", eval("semver.compare(\"1.0.0\", \"1.0.1\")"));
        assertEquals("1", eval("semver.compare(\"1.10.0\", \"1.9.0\")"));
        assertEquals("0", eval("semver.compare(\"1.0.0+build.1\", \"1.0.0+build.2\")"));
        assertEquals("-1", eval("semver.compare(\"1.0.0-alpha\", \"1.0.0\")"));
        // the precedence example of semver.org, item 11
        String[] order = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"};
        for (int i = 0; i + 1 < order.length; i++) {
            assertEquals("-1", eval("semver.compare(\"" + order[i] + "\", \"" + order[i + 1] + "\")"), order[i]);
            assertEquals("1", eval("semver.compare(\"" + order[i + 1] + "\", \"" + order[i] + "\")"), order[i]);
        }
        assertEquals("true", eval("semver.is_valid(\"1.2.3-rc.1+meta\")"));
        assertEquals("false", eval("semver.is_valid(\"v1.2.3\")"));
        assertEquals("false", eval("semver.is_valid(\"1.2\")"));
        assertEquals("false", eval("semver.is_valid(\"01.2.3\")"));
        assertEquals("false", eval("semver.is_valid(\"1.2.3-01\")"));
        assertTrue(error("semver.is_valid(123)").contains("operand 1 must be string"));
        assertEquals("undefined", lax("semver.is_valid(123)"));
        assertTrue(error("semver.compare(\"1.2\", \"1.2.3\")").contains("is not a valid SemVer"));
        assertTrue(error("semver.compare(\"1.2.3\", 1)").contains("operand 2 must be string"));
        assertEquals("undefined", lax("semver.compare(\"x\", \"1.2.3\")"));
    }

    @Test
    void cidrs() throws Exception {
        assertEquals("true", eval("net.cidr_contains(\"10.0.0.0/8\", \"10.1.2.3\")"));
        assertEquals("false", eval("net.cidr_contains(\"10.0.0.0/8\", \"11.1.2.3\")"));
        assertEquals("true", eval("net.cidr_contains(\"10.0.0.0/8\", \"10.20.0.0/16\")"));
        assertEquals("false", eval("net.cidr_contains(\"10.0.0.0/16\", \"10.0.0.0/8\")"));
        assertEquals("true", eval("net.cidr_contains(\"2001:db8::/32\", \"2001:db8:1::1\")"));
        assertEquals("false", eval("net.cidr_contains(\"2001:db8::/32\", \"10.0.0.1\")"));
        assertTrue(error("net.cidr_contains(\"10.0.0.0\", \"10.0.0.1\")").contains("invalid CIDR"));
        assertTrue(error("net.cidr_contains(\"10.0.0.0/8\", \"10.0.0.256\")").contains("invalid CIDR"));
        assertEquals("true", eval("net.cidr_intersects(\"192.168.0.0/16\", \"192.168.1.0/24\")"));
        assertEquals("false", eval("net.cidr_intersects(\"192.168.0.0/24\", \"192.168.1.0/24\")"));
        assertEquals("false", eval("net.cidr_intersects(\"::/0\", \"10.0.0.0/8\")"));
        assertEquals("true", eval("net.cidr_is_valid(\"10.0.0.0/33\") == false"));
        assertEquals("true", eval("net.cidr_is_valid(\"fd00::/8\")"));
        assertEquals("false", eval("net.cidr_is_valid(\"010.0.0.0/8\")"));
        assertTrue(error("net.cidr_is_valid(7)").contains("operand 1 must be string"));
        assertEquals("{\"192.168.1.0\", \"192.168.1.1\", \"192.168.1.2\", \"192.168.1.3\"}",
                eval("net.cidr_expand(\"192.168.1.1/30\")"));
        assertEquals("{\"2001:db8::\", \"2001:db8::1\"}", eval("net.cidr_expand(\"2001:db8::/127\")"));
        assertTrue(error("net.cidr_expand(\"10.0.0.0/1\")").contains("eval_limit_error"));
        assertEquals("{[\"a\", 1], [\"b\", 0]}", eval("net.cidr_contains_matches("
                + "{\"a\": \"10.0.0.0/8\", \"b\": [\"192.168.0.0/16\", \"x\"]}, [\"192.168.1.1\", \"10.2.0.0/16\"])"));
        assertEquals("{[\"10.0.0.0/8\", \"10.0.0.1\"]}", eval("net.cidr_contains_matches(\"10.0.0.0/8\", \"10.0.0.1\")"));
        assertEquals("{[\"10.0.0.0/8\", \"10.0.0.1\"]}",
                eval("net.cidr_contains_matches({\"10.0.0.0/8\"}, {\"10.0.0.1\", \"11.0.0.1\"})"));
        assertTrue(error("net.cidr_contains_matches(1, \"10.0.0.1\")").contains("operand 1"));
        assertTrue(error("net.cidr_contains_matches([\"10.0.0.0/8\"], {[\"10.0.0.1\", 1], 5})")
                .contains("operand 2: element must be string or non-empty array"));
        assertTrue(error("net.cidr_contains_matches([[]], \"10.0.0.1\")").contains("operand 1: element"));
        assertTrue(error("net.cidr_merge([\"2001:db8::1\"])").contains("IPv6 invalid: needs prefix length"));
        assertEquals("{\"192.0.128.0/23\"}", eval("net.cidr_merge([\"192.0.128.0/24\", \"192.0.129.0/24\"])"));
        assertEquals("{\"10.0.0.0/23\", \"10.0.2.0/24\"}",
                eval("net.cidr_merge({\"10.0.0.0/24\", \"10.0.1.0/24\", \"10.0.2.0/24\", \"10.0.1.7/32\"})"));
        // a bare IPv4 address stands for its classful network (Go's DefaultMask), as in OPA
        assertEquals("{\"10.0.0.0/8\"}", eval("net.cidr_merge({\"10.0.0.0/24\", \"10.0.1.7\"})"));
        assertEquals("{\"192.0.128.0/23\"}", eval("net.cidr_merge([\"192.0.128.0\", \"192.0.129.0\"])"));
        assertEquals("{\"172.16.0.0/16\"}", eval("net.cidr_merge([\"172.16.5.5\"])"));
        assertEquals("{\"10.0.0.0/8\", \"2001:db8::/31\"}",
                eval("net.cidr_merge([\"10.0.0.0/8\", \"10.4.0.0/16\", \"2001:db8::/32\", \"2001:db9::/32\"])"));

        assertEquals("set()", eval("net.cidr_merge([])"));
        assertTrue(error("net.cidr_merge([\"nope\"])").contains("nope"));
        assertTrue(error("net.cidr_merge([1])").contains("operand 1"));
    }

    @Test
    void objectSubset() throws Exception {
        assertEquals("true", eval("object.subset({\"a\": \"b\", \"c\": {\"x\": {10, 15, 20, 25}, \"y\": \"z\"}}, "
                + "{\"c\": {\"x\": {10, 15, 20}}})"));
        assertEquals("false", eval("object.subset({\"a\": 1}, {\"a\": 2})"));
        assertEquals("false", eval("object.subset({\"a\": 1}, {\"b\": 1})"));
        assertEquals("true", eval("object.subset({1, 2, 3}, {1, 3})"));
        assertEquals("true", eval("object.subset([1, 2, 3, 4], [2, 3])"));
        assertEquals("false", eval("object.subset([1, 2, 3, 4], [3, 2])"));
        assertEquals("true", eval("object.subset([1, 2, 3, 4], {3, 1})"));
        assertEquals("true", eval("object.subset({\"a\": [1, 2, 3]}, {\"a\": [2, 3]})"));
        assertTrue(error("object.subset({\"a\": 1}, [1])").contains("object.subset"));
        assertEquals("undefined", lax("object.subset(1, 1)"));
    }

    @Test
    void jsonRemove() throws Exception {
        assertEquals("{\"a\": {\"c\": 2}, \"d\": 3}", eval("json.remove({\"a\": {\"b\": 1, \"c\": 2}, \"d\": 3}, [\"a/b\"])"));
        assertEquals("{\"a\": [1, 3]}", eval("json.remove({\"a\": [1, 2, 3]}, {\"/a/1\"})"));
        assertEquals("{\"d\": 3}", eval("json.remove({\"a\": {\"b\": 1}, \"d\": 3}, [[\"a\"]])"));
        assertEquals("{\"a/b\": 1}", eval("json.remove({\"a/b\": 1, \"c\": 2}, [\"c\", \"x/y/z\"])"));
        assertEquals("{}", eval("json.remove({\"a~b\": 1}, [\"a~0b\"])"));
        assertTrue(error("json.remove([1], [\"a\"])").contains("operand 1 must be object"));
        assertTrue(error("json.remove({}, \"a\")").contains("operand 2"));
        assertTrue(error("json.remove({}, [1])").contains("json.remove"));
    }

    @Test
    void marshalWithOptions() throws Exception {
        assertEquals("{\"a\":[1,2]}", eval("json.marshal_with_options({\"a\": [1, 2]}, {})"));
        assertEquals("{\n\t\"a\": [\n\t\t1,\n\t\t2\n\t],\n\t\"b\": {}\n}",
                eval("json.marshal_with_options({\"a\": [1, 2], \"b\": {}}, {\"pretty\": true})"));
        assertEquals("<>{\n<>  \"a\": 1\n<>}",
                eval("json.marshal_with_options({\"a\": 1}, {\"prefix\": \"<>\", \"indent\": \"  \"})"));
        assertEquals("{\"a\":1}", eval("json.marshal_with_options({\"a\": 1}, {\"pretty\": false, \"indent\": \"  \"})"));
        assertEquals("\"x\"", eval("json.marshal_with_options(\"x\", {\"pretty\": true})"));
        assertTrue(error("json.marshal_with_options(1, {\"colour\": true})").contains("unknown key \"colour\""));
        assertTrue(error("json.marshal_with_options(1, {\"pretty\": 1})").contains("\"pretty\" contained invalid type"));
        assertTrue(error("json.marshal_with_options(1, {\"indent\": {}})").contains("\"indent\" contained invalid type"));
        // null options and null option values are the defaults
        assertEquals("[\n\t1\n]", eval("json.marshal_with_options([1], null)"));
        assertEquals("> [\n> \t1\n> ]", eval("json.marshal_with_options([1], {\"indent\": null, \"prefix\": \"> \"})"));
        assertEquals("[\n    [\n        []\n    ]\n]", eval("json.marshal_with_options([[[]]], {\"indent\": \"    \", \"prefix\": null})"));
        assertTrue(error("json.marshal_with_options(1, [])").contains("operand 2 must be object"));
    }

    @Test
    void urlquery() throws Exception {
        assertEquals("a+b%2Fc%3D%26%25~_.-%C3%A9%2A", eval("urlquery.encode(\"a b/c=&%~_.-é*\")"));
        assertEquals("a b/c=&~é", eval("urlquery.decode(\"a+b%2Fc%3d%26~%C3%A9\")"));
        assertTrue(error("urlquery.decode(\"%zz\")").contains("invalid URL escape"));
        assertTrue(error("urlquery.decode(\"abc%4\")").contains("invalid URL escape"));
        assertEquals("a=1&b=x+y&b=z&c=2", eval("urlquery.encode_object({\"b\": [\"x y\", \"z\"], \"a\": \"1\", \"c\": {\"2\"}})"));
        assertEquals("", eval("urlquery.encode_object({})"));
        assertTrue(error("urlquery.encode_object({\"a\": 1})").contains("operand 1"));
        assertEquals("{\"a\": [\"1\", \"3\"], \"b\": [\"x y\"], \"c\": [\"\"]}",
                eval("urlquery.decode_object(\"a=1&b=x+y&a=3&c&\")"));
        assertTrue(error("urlquery.decode_object(\"a=1;b=2\")").contains("semicolon"));
        assertTrue(error("urlquery.decode_object(\"a=%\")").contains("invalid URL escape"));
    }

    @Test
    void yaml() throws Exception {
        assertEquals("a: 1\nb:\n- x\n- \"true\"\n- \"12\"\n- null\n", eval("yaml.marshal({\"b\": [\"x\", \"true\", \"12\", null], \"a\": 1})"));
        assertEquals("{\"a\": [1, 2.5, \"x\"], \"b\": {\"c\": true}}", eval("yaml.unmarshal(\"a: [1, 2.5, x]\\nb:\\n  c: true\\n\")"));
        assertEquals("null", eval("yaml.unmarshal(\"\")"));
        assertTrue(error("yaml.unmarshal(\"a: [1\")").contains("yaml.unmarshal"));
        assertEquals("true", eval("yaml.is_valid(\"a: 1\")"));
        assertEquals("false", eval("yaml.is_valid(\"a: [\")"));
        assertTrue(error("yaml.is_valid(1)").contains("operand 1 must be string"));
        // a document round-trips
        assertEquals("true", eval("yaml.unmarshal(yaml.marshal({\"k\": [{\"n\": \"1.0\"}, 3]})) == {\"k\": [{\"n\": \"1.0\"}, 3]}"));
    }

    @Test
    void graphs() throws Exception {
        String g = "{\"a\": [\"b\"], \"b\": {\"c\"}, \"c\": [\"a\"], \"d\": [\"e\"], \"f\": null}";
        assertEquals("{\"a\", \"b\", \"c\"}", eval("graph.reachable(" + g + ", [\"b\"])"));
        assertEquals("{\"d\"}", eval("graph.reachable(" + g + ", {\"d\", \"zz\"})"));
        assertEquals("{\"f\"}", eval("graph.reachable(" + g + ", [\"f\"])"));
        assertEquals("set()", eval("graph.reachable(" + g + ", [])"));
        assertTrue(error("graph.reachable(" + g + ", \"a\")").contains("operand 2"));
        assertTrue(error("graph.reachable([], [\"a\"])").contains("operand 1 must be object"));
        String tree = "{\"root\": [\"x\", \"y\"], \"x\": [\"z\"], \"y\": [], \"z\": []}";
        assertEquals("{[\"root\", \"x\", \"z\"], [\"root\", \"y\"]}", eval("graph.reachable_paths(" + tree + ", [\"root\"])"));
        assertEquals("{[\"a\", \"b\", \"c\"]}", eval("graph.reachable_paths(" + g + ", [\"a\"])"));
        assertEquals("{[\"d\"]}", eval("graph.reachable_paths(" + g + ", [\"d\"])"));
        assertEquals("set()", eval("graph.reachable_paths(" + g + ", [\"nowhere\"])"));
    }

    @Test
    void patterns() throws Exception {
        assertEquals("true", eval("regex.template_match(\"urn:foo:{.*}\", \"urn:foo:bar:baz\", \"{\", \"}\")"));
        assertEquals("false", eval("regex.template_match(\"urn:foo:{[a-z]+}\", \"urn:foo:bar:baz\", \"{\", \"}\")"));
        assertEquals("true", eval("regex.template_match(\"a.b<[0-9]{2}>\", \"a.b42\", \"<\", \">\")"));
        assertEquals("false", eval("regex.template_match(\"a.b<[0-9]+>\", \"axb42\", \"<\", \">\")"));
        assertTrue(error("regex.template_match(\"urn:{.*\", \"urn:x\", \"{\", \"}\")").contains("unbalanced"));
        assertTrue(error("regex.template_match(\"x\", \"x\", \"{{\", \"}\")").contains("exactly one character"));
        assertEquals("true", eval("regex.globs_match(\"a.a.\", \".b.b\")"));
        assertEquals("true", eval("regex.globs_match(\"[a-z]+\", \"[0-9a]*\")"));
        assertEquals("false", eval("regex.globs_match(\"[a-z]+\", \"[0-9]*\")"));
        assertEquals("true", eval("regex.globs_match(\"a*b\", \"ab*\")"));
        assertEquals("false", eval("regex.globs_match(\"ab\", \"abc\")"));
        assertEquals("true", eval("regex.globs_match(\"\\\\.x\", \".x\")"));
        assertEquals("false", eval("regex.globs_match(\"\\\\.x\", \"yx\")"));
        assertEquals("false", eval("regex.globs_match(\"[^a]\", \"a\")"));
        assertTrue(error("regex.globs_match(\"*a\", \"a\")").contains("quantifier"));
        assertTrue(error("regex.globs_match(\"[a\", \"a\")").contains("unclosed"));
        assertEquals("\\\\*.github.com \\\\?\\\\[\\\\]\\\\{\\\\}\\\\\\\\,!-",
                eval("glob.quote_meta(\"*.github.com ?[]{}\\\\,!-\")").replace("\\", "\\\\"));
        assertEquals("true", eval("glob.match(glob.quote_meta(\"a*b\"), [], \"a*b\")"));
        assertEquals("false", eval("glob.match(glob.quote_meta(\"a*b\"), [], \"axb\")"));
    }

    @Test
    void jsonSchema() throws Exception {
        String schema = "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}, "
                + "\"age\": {\"type\": \"integer\", \"minimum\": 0}}, \"required\": [\"name\"]}";
        assertEquals("[true, null]", eval("json.verify_schema(" + schema + ")"));
        assertEquals("[true, null]", eval("json.verify_schema(json.marshal(" + schema + "))"));
        assertTrue(eval("json.verify_schema({\"type\": 5})").startsWith("[false, \""));
        assertTrue(eval("json.verify_schema(\"{not json\")").startsWith("[false, \""));
        assertEquals("[true, []]", eval("json.match_schema({\"name\": \"x\", \"age\": 3}, " + schema + ")"));
        assertEquals("[true, []]", eval("json.match_schema(\"{\\\"name\\\": \\\"x\\\"}\", " + schema + ")"));
        String bad = eval("json.match_schema({\"age\": -1}, " + schema + ")");
        assertTrue(bad.startsWith("[false, [{"), bad);
        assertTrue(bad.contains("\"type\": \"required\"") && bad.contains("\"field\": \"(root)\""), bad);
        assertTrue(bad.contains("\"type\": \"number_gte\"") && bad.contains("\"field\": \"age\""), bad);
        assertTrue(error("json.match_schema({}, {\"type\": 5})").contains("json.match_schema"));
        assertTrue(error("json.match_schema(\"{\", {})").contains("invalid JSON"));
        // a schema's references reach nothing outside it
        String remote = eval("json.verify_schema({\"$ref\": \"http://127.0.0.1:9/schema.json\"})");
        assertTrue(remote.startsWith("[false, "), remote);
        String file = eval("json.verify_schema({\"$ref\": \"file:///etc/hostname\"})");
        assertTrue(file.startsWith("[false, "), file);
        assertEquals("[true, []]", eval("json.match_schema([1, 2], {\"$schema\": \"http://json-schema.org/draft-04/schema#\", "
                + "\"type\": \"array\", \"items\": {\"$ref\": \"#/definitions/n\"}, \"definitions\": {\"n\": {\"type\": \"number\"}}})"));
    }

    /** A backtracking schema pattern stops at the query's deadline; a template's regex cannot backtrack. */
    @Test
    void hostilePatternsEndAtTheDeadline() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of("""
                package p
                import rego.v1
                schema if json.match_schema(input, {"properties": {"s": {"type": "string", "pattern": "(.*a){12}x"}}})[0]
                template if regex.template_match("{(.*a){12}x}", input.s, "{", "}")
                """));
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        // JSON Schema patterns are ECMA-262 (a backtracking engine): the deadline stops them
        long start = System.nanoTime();
        RegoException e = assertThrows(RegoException.class, () -> policy.query("data.p.schema",
                json.valueToTree(Map.of("s", "a".repeat(40))), json.createObjectNode(), java.time.Duration.ofMillis(200)));
        assertTrue(e.getMessage().contains("time limit"), e.getMessage());
        assertTrue(System.nanoTime() - start < java.time.Duration.ofSeconds(3).toNanos());
        // template_match's regex is linear-time (RustRegex, as regex.match): no match, answered at once
        start = System.nanoTime();
        assertTrue(policy.query("data.p.template", json.valueToTree(Map.of("s", "a".repeat(40))),
                json.createObjectNode(), java.time.Duration.ofMillis(200)).value().isEmpty());
        assertTrue(System.nanoTime() - start < java.time.Duration.ofSeconds(3).toNanos());
    }

    @Test
    void traceIsTrue() throws Exception {
        assertEquals("true", eval("trace(\"note\")"));
        assertTrue(error("trace(1)").contains("operand 1 must be string"));
    }

    @Test
    void walkIsARelation() throws Exception {
        RegoPolicy p = RegoPolicy.compile(List.of("package t\nimport rego.v1\n"
                + "paths contains path if walk({\"a\": [1, {\"b\": 2}]}, [path, _])\n"
                + "leaves contains [path, v] if { walk({\"a\": [1, {\"b\": 2}]}, [path, v]); is_number(v) }\n"
                + "pairs := [x | walk([7], x)]\n"));
        assertEquals("{[], [\"a\"], [\"a\", 0], [\"a\", 1], [\"a\", 1, \"b\"]}",
                Values.toDisplay(p.queryValue("data.t.paths", null, null, true).orElseThrow()));
        assertEquals("{[[\"a\", 0], 1], [[\"a\", 1, \"b\"], 2]}",
                Values.toDisplay(p.queryValue("data.t.leaves", null, null, true).orElseThrow()));
        assertEquals("[[[], [7]], [[0], 7]]", Values.toDisplay(p.queryValue("data.t.pairs", null, null, true).orElseThrow()));
    }

    @Test
    void unknownFunctionIsACompileError() {
        RegoException e = assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of(
                "package t\nimport rego.v1\nunused if semver.no_such_builtin(\"1.0.0\")\n")));
        assertTrue(e.getMessage().contains("undefined function semver.no_such_builtin"), e.getMessage());
        assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of("package t\nx := nosuch(1)\n")));
    }

    @Test
    void everyRegorusBuiltinIsRegistered() {
        Builtins b = new Builtins();
        // regorus's src/builtins/*.rs at 39f535e, less its Azure extensions, http.send, opa.runtime,
        // test.sleep (OPA's test utility) and its internal __builtin_sets.* operator helpers
        for (String name : List.of("glob.quote_meta", "graph.reachable", "graph.reachable_paths",
                "json.marshal_with_options", "json.match_schema", "json.remove", "json.verify_schema",
                "net.cidr_contains", "net.cidr_expand", "net.cidr_is_valid", "object.subset", "regex.globs_match",
                "regex.template_match", "semver.compare", "semver.is_valid", "trace", "urlquery.decode",
                "urlquery.decode_object", "urlquery.encode", "urlquery.encode_object", "yaml.is_valid",
                "yaml.marshal", "yaml.unmarshal", "net.cidr_contains_matches", "net.cidr_intersects",
                "net.cidr_merge")) {
            assertTrue(b.get(name) != null, name);
        }
        for (Map.Entry<String, Integer> e : Map.of("semver.compare", 2, "net.cidr_contains_matches", 2,
                "regex.template_match", 4, "json.match_schema", 2).entrySet()) {
            assertEquals(e.getValue(), b.get(e.getKey()).arity(), e.getKey());
        }
    }
}
