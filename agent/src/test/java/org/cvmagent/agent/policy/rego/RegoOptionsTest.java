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

/** regorus's extensions stay off unless RegoOptions turns them on, and behave as regorus's when on. */
class RegoOptionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    private static TargetRegistry registry() throws Exception {
        return TargetRegistry.of(List.of(Target.fromJson(json("""
                {"name": "t.sample", "version": "1", "resource_schema_selector": "kind",
                 "resource_schemas": [
                   {"type": "object", "properties": {"kind": {"const": "disk"}}},
                   {"type": "object", "properties": {"kind": {"type": "string"}}}],
                 "effects": {"allow": {"type": "boolean"},
                             "audit": {"type": "object", "properties": {"level": {"enum": ["low", "high"]}},
                                       "required": ["level"]}}}
                """))));
    }

    @Test
    void withoutTargetsTheDeclarationIsAnOrdinaryRule() throws Exception {
        RegoPolicy p = RegoPolicy.compile(List.of("package p\n__target__ := \"t.sample\"\nallow := true\n"));
        assertEquals(Optional.of(Value.str("t.sample")), p.queryValue("data.p.__target__", null, null, true));
        assertThrows(RegoException.class, p::resolveTarget);
    }

    @Test
    void targetPolicyDecidesItsEffectWithinTheSchema() throws Exception {
        RegoOptions o = RegoOptions.DEFAULT.withTargets(registry());
        RegoPolicy p = RegoPolicy.compile(List.of("""
                package pol
                __target__ := "t.sample"
                audit := {"level": input.level, "note": "extra properties are allowed"} if input.kind == "disk"
                """), o);
        TargetResolver.Effect e = p.resolveTarget();
        assertEquals("data.pol.audit", e.path());
        assertTrue(p.evalEffect(e, json("{\"kind\": \"disk\", \"level\": \"high\"}"), null, true).isPresent());
        assertTrue(p.evalEffect(e, json("{\"kind\": \"net\"}"), null, true).isEmpty(), "undefined is not checked");
        RegoException bad = assertThrows(RegoException.class,
                () -> p.evalEffect(e, json("{\"kind\": \"disk\", \"level\": \"medium\"}"), null, true));
        assertTrue(bad.getMessage().contains("Enum mismatch"), bad.getMessage());
        // the declaration itself is not a rule of the target policy
        assertEquals(Optional.empty(), p.queryValue("data.pol.__target__", null, null, true));
    }

    @Test
    void targetPolicyMustDefineExactlyOneEffect() throws Exception {
        RegoOptions o = RegoOptions.DEFAULT.withTargets(registry());
        RegoException two = assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of(
                "package pol\n__target__ := \"t.sample\"\nallow := true\naudit := {\"level\": \"low\"}\n"), o)
                .resolveTarget());
        assertTrue(two.getMessage().contains("Multiple effects"), two.getMessage());
        RegoException none = assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of(
                "package pol\n__target__ := \"t.sample\"\nx := 1\n"), o).resolveTarget());
        assertTrue(none.getMessage().contains("requires a rule with name allow or audit"), none.getMessage());
        RegoException late = assertThrows(RegoException.class, () -> RegoPolicy.compile(List.of(
                "package pol\nx := 1\n__target__ := \"t.sample\"\n"), o));
        assertTrue(late.getMessage().contains("__target__ must be defined before any rules"), late.getMessage());
    }

    @Test
    void orIsAnIdentifierUnlessTheOptionMakesItAnOperator() throws Exception {
        RegoPolicy plain = RegoPolicy.compile(List.of("package p\nor := 1\nx := or\n"));
        assertEquals(Optional.of(Value.num(1)), plain.queryValue("data.p.x", null, null, true));
        RegoPolicy ext = RegoPolicy.compile(List.of("""
                package p
                a := data.missing or null or 4
                b := [x | x := false or [1, 2][_]]
                c := 1 > 2 or false
                """), RegoOptions.DEFAULT.withOrOperator());
        assertEquals(Optional.of(Value.num(4)), ext.queryValue("data.p.a", null, null, true));
        assertEquals(Optional.of(Values.arr(List.of(Value.num(1), Value.num(2)))), ext.queryValue("data.p.b", null, null, true));
        assertEquals(Optional.of(Value.FALSE), ext.queryValue("data.p.c", null, null, true));
    }

    @Test
    void executionTimerFailsOnceItsClockPassesTheLimit() throws Exception {
        String m = "package t\nn := count({v | v := data.values[_]})\n";
        JsonNode data = json("{\"values\": [1, 2, 3, 4, 5]}");
        long[] now = {0};
        RegoOptions slow = RegoOptions.DEFAULT.withExecutionTimer(
                new ExecutionTimer(Duration.ofMillis(6), 1, () -> now[0] += 2_000_000L));
        RegoException e = assertThrows(RegoException.class,
                () -> RegoPolicy.compile(List.of(m), slow).queryValue("data.t.n", null, data, true));
        assertTrue(e.getMessage().contains("execution exceeded time limit"), e.getMessage());
        RegoOptions generous = RegoOptions.DEFAULT.withExecutionTimer(new ExecutionTimer(Duration.ofSeconds(5), 1));
        assertEquals(Optional.of(Value.num(5)), RegoPolicy.compile(List.of(m), generous).queryValue("data.t.n", null, data, true));
        assertEquals(Optional.of(Value.num(5)), RegoPolicy.compile(List.of(m)).queryValue("data.t.n", null, data, true));
    }
}
