package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.AbsoluteIri;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressions;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * json.verify_schema and json.match_schema, validating with networknt's json-schema-validator
 * (drafts 4, 6, 7, 2019-09 and 2020-12, chosen by the schema's "$schema"; draft 7 when it names
 * none). A schema may reference only itself and the drafts' meta-schemas: nothing is fetched from
 * the network or read from files, whatever its "$ref"s say.
 *
 * <p>Results have OPA's shapes: verify_schema gives [true, null] or [false, message];
 * match_schema gives [valid, errors], each error an object with "error", "type", "field" and
 * "desc". The messages are the validator's, not gojsonschema's word for word.
 */
final class JsonSchemaBuiltins {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The query whose json.match_schema is validating on this thread, for its deadline; null otherwise. */
    private static final ThreadLocal<Budget> VALIDATING = new ThreadLocal<>();

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
            // no schema cache: a schema with an "$id" would stay in it for good, and schemas may come
            // from requests; the few meta-schemas are kept in META instead
            r -> r.schemaCacheEnabled(false)
                    .schemaLoader(l -> l.fetchRemoteResources(false).block(iri -> !bundled(iri)))
                    .schemaRegistryConfig(SchemaRegistryConfig.builder()
                            .regularExpressionFactory(JsonSchemaBuiltins::deadlinePattern).build()));

    /** Each draft's meta-schema, loaded once. */
    private static final java.util.Map<SpecificationVersion, Schema> META = new java.util.concurrent.ConcurrentHashMap<>();

    private JsonSchemaBuiltins() {
    }

    /**
     * A schema's "pattern" as the validator's own JDK engine would run it (its rewrites of "$" and
     * of long-form character properties, then an unanchored search), but reading the subject under
     * the query's deadline: a backtracking pattern from a schema cannot hold the policy gate past it.
     */
    private static RegularExpression deadlinePattern(String regex) {
        Pattern p = Pattern.compile(RegularExpressions.replaceLongformCharacterProperties(
                RegularExpressions.replaceDollarAnchors(regex)));
        return subject -> {
            Budget budget = VALIDATING.get();
            return p.matcher(budget == null ? subject : new DeadlineText(subject, budget)).find();
        };
    }

    /** The meta-schemas shipped inside the validator, which its dialects load from the class path. */
    private static boolean bundled(AbsoluteIri iri) {
        String s = iri.toString();
        return s.startsWith("classpath:draft") || s.startsWith("classpath:/draft")
                || s.startsWith("http://json-schema.org/") || s.startsWith("https://json-schema.org/");
    }

    static void register(Builtins b) {
        b.add("json.verify_schema", 1, (a, bu) -> {
            String problem;
            try {
                problem = schemaProblem(document("json.verify_schema", a, 0));
            } catch (BuiltinError e) {
                problem = e.getMessage();
            }
            return Values.arr(problem == null ? List.of(Value.TRUE, Value.NULL) : List.of(Value.FALSE, Value.str(problem)));
        });
        b.add("json.match_schema", 2, (a, bu) -> {
            String fn = "json.match_schema";
            JsonNode doc = document(fn, a, 0);
            JsonNode schemaNode = document(fn, a, 1);
            String problem = schemaProblem(schemaNode);
            if (problem != null) {
                throw new BuiltinError("eval_builtin_error: " + fn + ": " + problem);
            }
            List<Error> errors;
            VALIDATING.set(bu);
            try {
                Schema schema = REGISTRY.getSchema(schemaNode);
                errors = schema.validate(doc);
            } catch (RuntimeException e) {
                // the validator may wrap what a pattern threw
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof DeadlineText.Expired) {
                        throw new RegoException("eval_limit_error: execution exceeded time limit in " + fn);
                    }
                }
                throw new BuiltinError("eval_builtin_error: " + fn + ": jsonschema: " + e.getMessage(), e);
            } finally {
                VALIDATING.remove();
            }
            // the validator turns a pattern's exception (our deadline's among them) into a failure of
            // the document; a run that outlived the deadline is a limit error, not an answer
            if (bu.deadlinePassed()) {
                throw new RegoException("eval_limit_error: execution exceeded time limit in " + fn);
            }
            bu.charge(errors.size());
            List<Value> out = new ArrayList<>();
            for (Error e : errors) {
                out.add(errorObject(e));
            }
            return Values.arr(List.of(Value.bool(errors.isEmpty()), Values.arr(out)));
        });
    }

    /** A document or schema operand: JSON text, or any value other than a string. */
    private static JsonNode document(String fn, List<Value> a, int i) throws RegoException {
        Value v = a.get(i);
        if (v instanceof Value.Str s) {
            try {
                return JSON.readTree(s.value());
            } catch (JsonProcessingException e) {
                throw new BuiltinError("eval_builtin_error: " + fn + ": jsonschema: invalid JSON string: " + e.getOriginalMessage(), e);
            }
        }
        if (!(v instanceof Value.Obj) && !(v instanceof Value.Bool) && i == (fn.equals("json.verify_schema") ? 0 : 1)) {
            throw Args.typeError(fn, i, "string or object", v);
        }
        return Values.toJson(v);
    }

    /** Why schema is not a valid schema (checked against its draft's meta-schema), or null. */
    private static String schemaProblem(JsonNode schema) {
        if (!schema.isObject() && !schema.isBoolean()) {
            return "jsonschema: schema must be an object or a boolean, not " + schema.getNodeType().name().toLowerCase();
        }
        try {
            SpecificationVersion version = schema.isObject()
                    ? SpecificationVersion.fromSchemaNode(schema).orElse(SpecificationVersion.DRAFT_7)
                    : SpecificationVersion.DRAFT_7;
            Schema meta = META.computeIfAbsent(version, v -> REGISTRY.getSchema(SchemaLocation.of(v.getDialectId())));
            // the bundled meta-schemas demand a non-empty "enum"; OPA's validator takes an empty one
            // as a schema that nothing matches, and so do we
            List<Error> errors = meta.validate(schema).stream()
                    .filter(e -> !("minItems".equals(e.getKeyword()) && e.getInstanceLocation().toString().endsWith("/enum")))
                    .toList();
            if (!errors.isEmpty()) {
                return "jsonschema: " + errors.get(0).toString();
            }
            REGISTRY.getSchema(schema).validate(JSON.nullNode());
            return null;
        } catch (RuntimeException e) {
            return "jsonschema: " + e.getMessage();
        }
    }

    /** gojsonschema's name for a failure of each keyword (OPA reports those); other keywords as they are. */
    private static final java.util.Map<String, String> ERROR_TYPES = java.util.Map.ofEntries(
            java.util.Map.entry("type", "invalid_type"),
            java.util.Map.entry("required", "required"),
            java.util.Map.entry("enum", "enum"),
            java.util.Map.entry("const", "const"),
            java.util.Map.entry("minimum", "number_gte"),
            java.util.Map.entry("exclusiveMinimum", "number_gt"),
            java.util.Map.entry("maximum", "number_lte"),
            java.util.Map.entry("exclusiveMaximum", "number_lt"),
            java.util.Map.entry("multipleOf", "multiple_of"),
            java.util.Map.entry("minLength", "string_gte"),
            java.util.Map.entry("maxLength", "string_lte"),
            java.util.Map.entry("pattern", "does_not_match_pattern"),
            java.util.Map.entry("format", "format"),
            java.util.Map.entry("minItems", "array_min_items"),
            java.util.Map.entry("maxItems", "array_max_items"),
            java.util.Map.entry("uniqueItems", "unique"),
            java.util.Map.entry("contains", "contains"),
            java.util.Map.entry("additionalItems", "array_no_additional_items"),
            java.util.Map.entry("minProperties", "array_min_properties"),
            java.util.Map.entry("maxProperties", "array_max_properties"),
            java.util.Map.entry("additionalProperties", "additional_property_not_allowed"),
            java.util.Map.entry("propertyNames", "invalid_property_name"),
            java.util.Map.entry("dependencies", "missing_dependency"),
            java.util.Map.entry("anyOf", "number_any_of"),
            java.util.Map.entry("oneOf", "number_one_of"),
            java.util.Map.entry("allOf", "number_all_of"),
            java.util.Map.entry("not", "number_not"),
            java.util.Map.entry("then", "condition_then"),
            java.util.Map.entry("else", "condition_else"));

    private static String errorType(String keyword) {
        return keyword == null ? "" : ERROR_TYPES.getOrDefault(keyword, keyword);
    }

    /** One failure as OPA reports it: the field (dotted, "(root)" for the document), the keyword, the text. */
    private static Value errorObject(Error e) {
        // the validator locates an instance by JSON pointer ("/a/0/b"), gojsonschema by dots ("a.0.b")
        String location = e.getInstanceLocation().toString();
        String field = location.isEmpty() || location.equals("/") || location.equals("$") ? "(root)"
                : location.substring(location.startsWith("/") || location.startsWith("$.") ? (location.startsWith("$.") ? 2 : 1) : 0)
                        .replace("/", ".").replace("~1", "/").replace("~0", "~");
        String desc = e.getMessage();
        TreeMap<Value, Value> m = new TreeMap<>();
        m.put(Value.str("error"), Value.str(field + ": " + desc));
        m.put(Value.str("type"), Value.str(errorType(e.getKeyword())));
        m.put(Value.str("field"), Value.str(field));
        m.put(Value.str("desc"), Value.str(desc));
        return Values.obj(m);
    }
}
