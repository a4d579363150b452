package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Variables live in frame slots bound around continuations, and literals with one solution run
 * in a loop: bindings must not outlive the solution that made them, and literals that need a
 * later literal's variable must still run after it.
 */
class FrameEvaluationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Optional<JsonNode> eval(String module, String path) throws Exception {
        return RegoPolicy.compile(List.of(module)).query(path, JSON.readTree("{\"n\": 2}"), null).value();
    }

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void eachSolutionStartsFromTheBindingsBeforeIt() throws Exception {
        String m = "package p\nimport rego.v1\n"
                + "s contains v if { some x in [1, 2, 3]; y := x * 10; v := y + 1 }\n"
                + "pairs contains [a, b] if { some a in [1, 2]; some b in [a, 3]; a != b }\n"
                + "c := [y | some x in [1, 2]; y := x + input.n]\n";
        assertEquals(Optional.of(json("[11, 21, 31]")), eval(m, "data.p.s"));
        assertEquals(Optional.of(json("[[1, 3], [2, 3]]")), eval(m, "data.p.pairs"));
        assertEquals(Optional.of(json("[3, 4]")), eval(m, "data.p.c"));
    }

    @Test
    void literalsWaitForVariablesBoundLater() throws Exception {
        String m = "package p\n"
                + "a { y = x; x = 1; y == 1 }\n"
                + "b { not x == 2; x = 1 }\n"
                + "c { count(xs) == 2; xs = [1, 2] }\n"
                + "d { print(\"x is\", x); x = input.n }\n";
        assertEquals(Optional.of(json("true")), eval(m, "data.p.a"));
        assertEquals(Optional.of(json("true")), eval(m, "data.p.b"));
        assertEquals(Optional.of(json("true")), eval(m, "data.p.c"));
        assertEquals(Optional.of(json("true")), eval(m, "data.p.d"));
    }

    @Test
    void functionsGetTheirOwnFrames() throws Exception {
        String m = "package p\nimport rego.v1\n"
                + "f(x) := y if { y := x + 1 }\n"
                + "g(x) := y if { z := f(x); y := f(z) }\n"
                + "h([a, b]) := a + b\n"
                + "k(x, x) := true\n"
                + "r := [g(1), h([2, 3]), k(1, 1)]\n"
                + "u if k(1, 2)\n";
        assertEquals(Optional.of(json("[3, 5, true]")), eval(m, "data.p.r"));
        assertEquals(Optional.empty(), eval(m, "data.p.u"));
    }

    @Test
    void everyAndNegationSeeTheBindingsOfTheirSolution() throws Exception {
        String m = "package p\nimport rego.v1\n"
                + "ok contains x if { some x in [1, 5, 10]; every y in [1, 2] { y <= x } ; not x == 10 }\n";
        // 1 fails every (2 <= 1 is false), 10 fails the negation
        assertEquals(Optional.of(json("[5]")), eval(m, "data.p.ok"));
    }

    @Test
    void everyBindsItsVariablesPerEntryAndRestoresThem() throws Exception {
        String m = "package p\nimport rego.v1\n"
                + "shadow if { x := 5; every x in [1, 2] { x < 3 }; x == 5 }\n"
                + "entries if { every k, v in {\"a\": 1, \"b\": 2} { count(k) == 1; v > 0 } }\n"
                + "fails if { every k, v in {\"a\": 1, \"b\": -2} { v > 0 } }\n"
                + "empty if { every x in [] { false } }\n"
                + "undefined if { every x in input.missing { true } }\n"
                + "scalar if { every x in \"abc\" { true } }\n";
        assertEquals(Optional.of(json("true")), eval(m, "data.p.shadow"));
        assertEquals(Optional.of(json("true")), eval(m, "data.p.entries"));
        assertEquals(Optional.empty(), eval(m, "data.p.fails"));
        assertEquals(Optional.of(json("true")), eval(m, "data.p.empty"));
        assertEquals(Optional.empty(), eval(m, "data.p.undefined"));
        assertEquals(Optional.empty(), eval(m, "data.p.scalar"));
    }
}
