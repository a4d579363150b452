package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegoPolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    private static Optional<JsonNode> eval(String module, String path, String input) throws Exception {
        return RegoPolicy.compile(List.of(module)).query(path, input == null ? null : json(input), null).value();
    }

    @Test
    void parseErrorsCarryLineAndColumn() {
        RegoException e = assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of(
                "package p\n\nallow {\n  x := [1, 2\n}\n")));
        assertTrue(e.getMessage().contains("5:1"), e.getMessage());
        RegoException bad = assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of(
                "package p\nallow { \"abc }\n")));
        assertTrue(bad.getMessage().contains("2:9"), bad.getMessage());
        RegoException noPkg = assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of("allow { true }")));
        assertTrue(noPkg.getMessage().contains("1:1"), noPkg.getMessage());
    }

    @Test
    void arrayWithUnionOrComprehension() throws Exception {
        String m = "package p\nimport rego.v1\nq := {4}\nxs := [1, 2]\n"
                + "union := [q & {1} | {true}]\n"
                + "compr := [(q & {1}) | {true}]\n"
                + "doubled := [x * 2 | some x in xs]\n"
                + "body if { x | some x in xs }\n";
        assertEquals(Optional.of(json("[[true]]")), eval(m, "data.p.union", null));
        assertEquals(Optional.of(json("[[]]")), eval(m, "data.p.compr", null));
        // no array item parses as "x * 2 | some x in xs", so this stays the comprehension OPA reads
        assertEquals(Optional.of(json("[2, 4]")), eval(m, "data.p.doubled", null));
        assertEquals(Optional.of(json("true")), eval(m, "data.p.body", null));
    }

    @Test
    void undefinedIsNotFalse() throws Exception {
        String m = "package p\nallow { input.x == 1 }\ndeny = false { true }\ndefault d := 7\n";
        assertEquals(Optional.empty(), eval(m, "data.p.allow", "{\"x\": 2}"));
        assertEquals(Optional.of(json("true")), eval(m, "data.p.allow", "{\"x\": 1}"));
        assertEquals(Optional.of(json("false")), eval(m, "data.p.deny", "{}"));
        assertEquals(Optional.of(json("7")), eval(m, "data.p.d", "{}"));
        assertEquals(Optional.empty(), eval(m, "data.p.missing", "{}"));
        // `not` succeeds on undefined and on false alike, fails on true
        String n = "package p\nimport rego.v1\nu if not input.missing\nf if not false\nt if not true\n";
        assertEquals(Optional.of(json("true")), eval(n, "data.p.u", "{}"));
        assertEquals(Optional.of(json("true")), eval(n, "data.p.f", "{}"));
        assertEquals(Optional.empty(), eval(n, "data.p.t", "{}"));
    }

    @Test
    void completeRuleConflictIsAnError() throws Exception {
        String m = "package p\nx = 1 { true }\nx = 2 { true }\n";
        RegoException e = assertThrows(RegoException.class, () -> eval(m, "data.p.x", "{}"));
        assertTrue(e.getMessage().contains("conflict"), e.getMessage());
        String same = "package p\nx = 1 { true }\nx = 1 { input.a }\n";
        assertEquals(Optional.of(json("1")), eval(same, "data.p.x", "{\"a\": true}"));
        String obj = "package p\no[k] = v { some k, v in {\"a\": 1} }\no[k] = 2 { k := \"a\" }\n";
        assertThrows(RegoException.class, () -> eval(obj, "data.p.o", "{}"));
        String fn = "package p\nf(x) = 1 { x > 0 }\nf(x) = 2 { x > 1 }\ny := f(5)\n";
        assertThrows(RegoException.class, () -> eval(fn, "data.p.y", "{}"));
    }

    @Test
    void partialRulesFunctionsElse() throws Exception {
        String m = """
                package p
                import future.keywords
                s contains x if { some x in input.xs; x > 1 }
                o[k] := v if { some k, v in input.m; v != 0 }
                f(x) := "big" if { x > 10 } else := "small"
                g(x) = y { y := x * 2 }
                r := [f(1), f(11), g(3)]
                """;
        RegoPolicy p = RegoPolicy.compile(List.of(m));
        JsonNode in = json("{\"xs\": [3, 1, 2, 3], \"m\": {\"a\": 1, \"b\": 0}}");
        assertEquals(json("[2, 3]"), p.query("data.p.s", in, null).value().orElseThrow());
        assertEquals(json("{\"a\": 1}"), p.query("data.p.o", in, null).value().orElseThrow());
        assertEquals(json("[\"small\", \"big\", 6]"), p.query("data.p.r", in, null).value().orElseThrow());
    }

    @Test
    void withReplacesInputAndData() throws Exception {
        String m = """
                package p
                allow { input.user == "admin" }
                limit := data.config.limit
                check { allow with input as {"user": "admin"} }
                lim := l { l := limit with data.config.limit as 9 }
                """;
        RegoPolicy p = RegoPolicy.compile(List.of(m));
        JsonNode data = json("{\"config\": {\"limit\": 3}}");
        assertEquals(Optional.of(json("true")), p.query("data.p.check", json("{\"user\": \"bob\"}"), data).value());
        assertEquals(Optional.empty(), p.query("data.p.allow", json("{\"user\": \"bob\"}"), data).value());
        assertEquals(Optional.of(json("9")), p.query("data.p.lim", null, data).value());
        assertEquals(Optional.of(json("3")), p.query("data.p.limit", null, data).value());
    }

    @Test
    void withReplacesFunctionsAndBuiltins() throws Exception {
        String m = """
                package p
                double(x) := 2 * x
                fake(x) := 1000 + x
                a := double(5)
                r := [x, y, z] {
                    x := a with double as fake
                    y := count([1, 2]) with count as 42
                    z := a
                }
                """;
        assertEquals(json("[1005, 42, 10]"), RegoPolicy.compile(List.of(m)).query("data.p.r", null, null).value()
                .orElseThrow());
    }

    @Test
    void everyAndSome() throws Exception {
        String m = """
                package p
                import future.keywords.every
                import future.keywords.in
                all_pos { every x in input.xs { x > 0 } }
                pairs := [[k, v] | some k, v in input.xs]
                has_two { some x in input.xs; x == 2 }
                """;
        RegoPolicy p = RegoPolicy.compile(List.of(m));
        assertEquals(Optional.of(json("true")), p.query("data.p.all_pos", json("{\"xs\": [1, 2]}"), null).value());
        assertEquals(Optional.empty(), p.query("data.p.all_pos", json("{\"xs\": [1, -2]}"), null).value());
        assertEquals(Optional.of(json("true")), p.query("data.p.all_pos", json("{\"xs\": []}"), null).value());
        assertEquals(json("[[0, 1], [1, 2]]"), p.query("data.p.pairs", json("{\"xs\": [1, 2]}"), null).value()
                .orElseThrow());
        assertEquals(Optional.of(json("true")), p.query("data.p.has_two", json("{\"xs\": [1, 2]}"), null).value());
    }

    @Test
    void comprehensionsAndSetOperators() throws Exception {
        String m = """
                package p
                import future.keywords.in
                a := [x * 2 | some x in [1, 2, 3]; x != 2]
                s := {x | x := input.xs[_]}
                o := {k: count(v) | some k, v in input.m}
                u := s | {9}
                i := s & {1, 9}
                d := s - {1}
                """;
        RegoPolicy p = RegoPolicy.compile(List.of(m));
        JsonNode in = json("{\"xs\": [1, 2, 1], \"m\": {\"a\": [1], \"b\": []}}");
        assertEquals(json("[2, 6]"), p.query("data.p.a", in, null).value().orElseThrow());
        assertEquals(json("[1, 2]"), p.query("data.p.s", in, null).value().orElseThrow());
        assertEquals(json("{\"a\": 1, \"b\": 0}"), p.query("data.p.o", in, null).value().orElseThrow());
        assertEquals(json("[1, 2, 9]"), p.query("data.p.u", in, null).value().orElseThrow());
        assertEquals(json("[1]"), p.query("data.p.i", in, null).value().orElseThrow());
        assertEquals(json("[2]"), p.query("data.p.d", in, null).value().orElseThrow());
    }

    @Test
    void printFormatsAsOpa() throws Exception {
        String m = """
                package p
                allow {
                    print("s", "text", 1, [1, "a"], {"k": null}, input.missing)
                }
                """;
        QueryResult r = RegoPolicy.compile(List.of(m)).query("data.p.allow", json("{}"), null);
        assertEquals(List.of("s text 1 [1, \"a\"] {\"k\": null} <undefined>"), r.prints());
    }

    @Test
    void builtinsBehaveAsOpa() throws Exception {
        String m = """
                package p
                r := [
                  sprintf("%v-%s-%d", ["a", "b", 3]),
                  concat(",", split("a.b.c", ".")),
                  regex.match("^[a-z]+$", "abc"),
                  trim_left("xxabc", "x"),
                  json.marshal({"a": [1, true]}),
                  base64.decode(base64.encode("hi")),
                  object.get({"a": 1}, "b", 0),
                  substring("hello", 1, 3),
                  format_int(255, 16),
                  count(object.keys({"a": 1, "b": 2})),
                  to_number("12"),
                  7 / 2,
                  7 % 2,
                ]
                bad := to_number("x")
                """;
        RegoPolicy p = RegoPolicy.compile(List.of(m));
        assertEquals(json("[\"a-b-3\", \"a,b,c\", true, \"abc\", \"{\\\"a\\\":[1,true]}\", \"hi\", 0, \"ell\", \"ff\", 2,"
                + " 12, 3.5, 1]"), p.query("data.p.r", null, null).value().orElseThrow());
        // OPA's default: a builtin error makes the expression undefined
        assertEquals(Optional.empty(), p.query("data.p.bad", null, null).value());
    }

    @Test
    void recursionAndDepthAreBounded() throws Exception {
        RegoPolicy rec = RegoPolicy.compile(List.of("package p\na { b }\nb { a }\n"));
        assertThrows(RegoException.class, () -> rec.query("data.p.a", null, null));
        RegoPolicy deep = RegoPolicy.compile(List.of("package p\nf(x) = y { y := f(x + 1) }\nr := f(0)\n"));
        RegoException e = assertThrows(RegoException.class, () -> deep.query("data.p.r", null, null));
        assertTrue(e.getMessage().contains("depth"), e.getMessage());
    }

    @Test
    void hugeComprehensionEndsWithinTheDeadline() throws Exception {
        RegoPolicy p = RegoPolicy.compile(List.of("""
                package p
                import future.keywords.in
                r := count([[x, y] | some x in numbers.range(1, 5000); some y in numbers.range(1, 5000)])
                """));
        long t0 = System.nanoTime();
        RegoException e = assertThrows(RegoException.class,
                () -> p.query("data.p.r", null, null, Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos());
        RegoPolicy slow = RegoPolicy.compile(List.of(
                "package p\nr := count([x | x := numbers.range(1, 4000000)[_]; x % 7 == 0])\n"));
        long t1 = System.nanoTime();
        RegoException te = assertThrows(RegoException.class,
                () -> slow.query("data.p.r", null, null, Duration.ofMillis(50)));
        assertTrue(te.getMessage().contains("time limit") || te.getMessage().contains("steps"), te.getMessage());
        assertTrue(System.nanoTime() - t1 < Duration.ofSeconds(2).toNanos());
    }

    @Test
    void wholeDataInsideARuleIsTheDocumentEvaluatedSoFar() throws Exception {
        // regorus: no recursion error although the document includes the rule itself
        String m = "package p\na := 1\nb := object.keys(data.p) if { a == 1 }\nd := object.keys(data) if { a == 1 }\n";
        RegoPolicy p = RegoPolicy.compile(List.of(m));
        assertEquals(Optional.of(json("[\"p\", \"q\"]")), p.query("data.p.d", null, json("{\"q\": 1}")).value());
        RegoException rec = assertThrows(RegoException.class, () -> p.query("data.p.b", null, null));
        assertTrue(rec.getMessage().contains("recursive"), "a named path into the rule's own package still recurses");
    }
}
