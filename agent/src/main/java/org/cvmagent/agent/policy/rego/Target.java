package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A target of regorus's target extension: the domain a policy is written for, named by a module's
 * `__target__`. It says which effect rules a policy may define (each with the schema its value must
 * fit) and which resource types its input may be; a resource schema whose selector property is a
 * constant names a resource type, and the one schema without such a constant is the default.
 *
 * @param effects effect name to schema, in the definition's order (regorus keeps them sorted by
 *     name; {@link #effectNames} gives that order)
 * @param defaultResourceSchema the resource schema for inputs of no listed type, or null
 */
record Target(String name, String selector, Map<String, Value> effects, Set<Value> resourceTypes,
        Value defaultResourceSchema) {

    /** Reads a definition ({"name", "version", "resource_schema_selector", "resource_schemas", "effects"}). */
    static Target fromJson(JsonNode def) throws RegoException {
        String name = text(def, "name");
        text(def, "version");
        String selector = text(def, "resource_schema_selector");
        JsonNode schemas = def.path("resource_schemas");
        JsonNode effectDefs = def.path("effects");
        if (!schemas.isArray() || schemas.isEmpty()) {
            throw new RegoException("target " + name + ": Target must have at least one resource schema defined");
        }
        if (!effectDefs.isObject() || effectDefs.isEmpty()) {
            throw new RegoException("target " + name + ": Target must have at least one effect defined");
        }
        Map<String, Value> effects = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : effectDefs.properties()) {
            Value schema = Values.fromJson(e.getValue());
            if (!EffectSchema.wellFormed(schema)) {
                throw new RegoException("target " + name + ": effect " + e.getKey() + " has no type, const, enum or anyOf");
            }
            effects.put(e.getKey(), schema);
        }
        Set<Value> types = new TreeSet<>();
        Value defaultSchema = null;
        for (JsonNode s : schemas) {
            JsonNode constant = s.path("properties").path(selector).get("const");
            if (s.path("type").asText("").equals("object") && constant != null) {
                if (!types.add(Values.fromJson(constant))) {
                    throw new RegoException("target " + name + ": Duplicate constant value '" + constant
                            + "' found for resource schema selector field '" + selector + "'");
                }
            } else if (defaultSchema != null) {
                throw new RegoException("target " + name + ": Multiple schemas found without discriminator property '"
                        + selector + "'. Only one default resource schema is allowed.");
            } else {
                defaultSchema = Values.fromJson(s);
            }
        }
        return new Target(name, selector, Map.copyOf(effects), Set.copyOf(types), defaultSchema);
    }

    /** Effect names sorted, the order regorus lists them in (its effects are a sorted map). */
    List<String> effectNames() {
        return effects.keySet().stream().sorted().toList();
    }

    private static String text(JsonNode def, String field) throws RegoException {
        JsonNode n = def.get(field);
        if (n == null || !n.isTextual()) {
            throw new RegoException("target definition: missing string field " + field);
        }
        return n.asText();
    }
}
