package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class FoldingTest {
    @Test
    void constantDocumentsWithEmptyCollectionsAreFoldedWhole() {
        Ast.Term empty = new Ast.ArrayLit(List.of(), 1);
        Ast.Term obj = Folding.object(List.of(
                new Ast.KV(new Ast.Scalar(Value.str("gids"), 1), empty),
                new Ast.KV(new Ast.Scalar(Value.str("opts"), 1), new Ast.ObjectLit(List.of(), 1)),
                new Ast.KV(new Ast.Scalar(Value.str("caps"), 1), new Ast.SetLit(List.of(), 1))), 1);
        Ast.Scalar folded = assertInstanceOf(Ast.Scalar.class, obj);
        assertEquals("{\"caps\": set(), \"gids\": [], \"opts\": {}}", Values.toDisplay(folded.value()));
        assertInstanceOf(Ast.Scalar.class, Folding.array(List.of(empty, new Ast.Scalar(Value.num(1), 1)), 1));
    }

    @Test
    void aLoneEmptyLiteralStaysALiteralForUnification() throws Exception {
        Parser.Parsed p = Parser.parseModule("package p\nx := []\n", "m.rego");
        assertInstanceOf(Ast.ArrayLit.class, p.rules().get(0).value());
    }

    @Test
    void foldedDocumentsEvaluateToTheSameValue() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of(
                "package p\nd := {\"a\": [], \"b\": [{}, [1]], \"c\": {\"e\": set()}}\n"));
        assertEquals(new ObjectMapper().readTree("{\"a\": [], \"b\": [{}, [1]], \"c\": {\"e\": []}}"),
                policy.query("data.p.d", null, null).value().orElseThrow());
    }
}
