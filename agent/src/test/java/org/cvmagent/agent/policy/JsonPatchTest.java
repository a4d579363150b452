package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonPatchTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void addReplaceRemoveAsGenpolicyUsesThem() throws Exception {
        JsonNode state = json("{\"pstate\":{}}");
        JsonNode added = JsonPatch.apply(state, json("""
                [{"op":"add","path":"/pstate/sandbox_name","value":"web"},
                 {"op":"add","path":"/pstate/ids","value":[]},
                 {"op":"add","path":"/pstate/ids/-","value":"c1"},
                 {"op":"add","path":"/pstate/ids/0","value":"c0"}]"""));
        assertEquals(json("{\"pstate\":{\"sandbox_name\":\"web\",\"ids\":[\"c0\",\"c1\"]}}"), added);
        assertEquals(json("{\"pstate\":{}}"), state, "the input document is not modified");
        JsonNode replaced = JsonPatch.apply(added, json("""
                [{"op":"replace","path":"/pstate/sandbox_name","value":"db"},
                 {"op":"remove","path":"/pstate/ids/1"}]"""));
        assertEquals(json("{\"pstate\":{\"sandbox_name\":\"db\",\"ids\":[\"c0\"]}}"), replaced);
    }

    @Test
    void moveCopyTestAndEscapes() throws Exception {
        JsonNode doc = json("{\"a/b\":{\"~x\":1},\"c\":[]}");
        JsonNode out = JsonPatch.apply(doc, json("""
                [{"op":"test","path":"/a~1b/~0x","value":1},
                 {"op":"copy","from":"/a~1b/~0x","path":"/c/-"},
                 {"op":"move","from":"/a~1b","path":"/d"}]"""));
        assertEquals(json("{\"c\":[1],\"d\":{\"~x\":1}}"), out);
        assertEquals(List.of("a/b", "~x"), JsonPatch.pointer("/a~1b/~0x"));
        assertEquals(json("[1]"), JsonPatch.apply(doc, json("[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]")));
    }

    @Test
    void failuresAreErrorsAndNothingIsApplied() throws Exception {
        JsonNode doc = json("{\"pstate\":{\"a\":1}}");
        for (String ops : List.of(
                "[{\"op\":\"replace\",\"path\":\"/pstate/missing\",\"value\":1}]",
                "[{\"op\":\"remove\",\"path\":\"/pstate/missing\"}]",
                "[{\"op\":\"add\",\"path\":\"/nope/x\",\"value\":1}]",
                "[{\"op\":\"add\",\"path\":\"/pstate/a/x\",\"value\":1}]",
                "[{\"op\":\"test\",\"path\":\"/pstate/a\",\"value\":2}]",
                "[{\"op\":\"add\",\"path\":\"/pstate/b\",\"value\":1},{\"op\":\"frobnicate\",\"path\":\"/pstate\"}]",
                "[{\"op\":\"add\",\"path\":\"pstate\",\"value\":1}]",
                "[{\"op\":\"add\",\"path\":\"/pstate/b\"}]",
                "{\"op\":\"add\"}")) {
            assertThrows(IllegalArgumentException.class, () -> JsonPatch.apply(doc, json(ops)), ops);
        }
        assertEquals(json("{\"pstate\":{\"a\":1}}"), doc);
        JsonNode array = json("{\"l\":[1]}");
        assertThrows(IllegalArgumentException.class, () -> JsonPatch.apply(array,
                json("[{\"op\":\"add\",\"path\":\"/l/2\",\"value\":1}]")));
        assertThrows(IllegalArgumentException.class, () -> JsonPatch.apply(array,
                json("[{\"op\":\"remove\",\"path\":\"/l/01\"}]")));
    }
}
