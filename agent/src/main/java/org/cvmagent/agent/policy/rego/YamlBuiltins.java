package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * yaml.marshal, yaml.unmarshal and yaml.is_valid with Jackson's YAML support. The text is laid
 * out like Go's YAML encoder, which OPA uses: no document marker, strings quoted only where a
 * plain scalar would read as something else, block sequences at their key's indentation.
 */
final class YamlBuiltins {
    private static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .build());

    static {
        YAML.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    }

    private YamlBuiltins() {
    }

    static void register(Builtins b) {
        b.add("yaml.marshal", 1, (a, bu) -> {
            try {
                return Value.str(YAML.writeValueAsString(Values.toJson(a.get(0))));
            } catch (JsonProcessingException e) {
                throw new BuiltinError("eval_builtin_error: yaml.marshal: " + e.getOriginalMessage(), e);
            }
        });
        b.add("yaml.unmarshal", 1, (a, bu) -> {
            try {
                return parse(Args.str("yaml.unmarshal", a, 0));
            } catch (JsonProcessingException | RuntimeException e) {
                throw new BuiltinError("eval_builtin_error: yaml.unmarshal: " + message(e), e);
            }
        });
        b.add("yaml.is_valid", 1, (a, bu) -> {
            // a non-string is a type error, as in regorus (strict: an error, otherwise undefined)
            String text = Args.str("yaml.is_valid", a, 0);
            try {
                parse(text);
                return Value.TRUE;
            } catch (JsonProcessingException | RuntimeException e) {
                // text that is not YAML is the answer here, not an error
                return Value.FALSE;
            }
        });
    }

    private static Value parse(String text) throws JsonProcessingException {
        JsonNode n = YAML.readTree(text);
        return Values.fromJson(n == null || n.isMissingNode() ? null : n);
    }

    private static String message(Exception e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : String.valueOf(e.getMessage());
    }
}
