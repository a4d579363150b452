package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compiling a policy for its target, as regorus's compile_for_target does: all modules that name a
 * target name the same one and share one package, the target is registered, exactly one of its
 * effects has rules in that package (and none defines a path below an effect), and each body of
 * the effect's rules either tests the input's resource type against a type the target lists or
 * can fall back on the target's default resource schema.
 */
final class TargetResolver {
    /** The effect a target policy decides: its rules' path and the schema their value must fit. */
    record Effect(Target target, String name, String path, Value schema) {
    }

    private TargetResolver() {
    }

    static Effect resolve(List<Parser.Parsed> modules, TargetRegistry registry) throws RegoException {
        String targetName = null;
        String pkg = null;
        for (Parser.Parsed m : modules) {
            if (m.target() == null) {
                continue;
            }
            String modulePkg = packageName(m.module());
            if (targetName == null) {
                targetName = m.target();
                pkg = modulePkg;
            } else if (!targetName.equals(m.target())) {
                throw new RegoException("Multiple different targets specified: '" + targetName + "' and '" + m.target() + "'");
            } else if (!pkg.equals(modulePkg)) {
                throw new RegoException("Modules with target '" + targetName + "' have different packages: '" + pkg
                        + "' and '" + modulePkg + "'");
            }
        }
        if (targetName == null) {
            throw new RegoException("No target specified. When using compile_for_target, at least one module must"
                    + " specify a target using the __target__ annotation");
        }
        String name = targetName;
        Target target = registry.get(name).orElseThrow(() -> new RegoException("Target '" + name + "' not found in registry"));
        List<Ast.Rule> rules = new ArrayList<>();
        modules.forEach(m -> rules.addAll(m.rules()));
        Effect effect = effect(target, pkg, rules);
        inferResourceTypes(effect, rules);
        return effect;
    }

    private static String packageName(Ast.Module m) {
        return String.join(".", m.pkg().subList(1, m.pkg().size()));
    }

    private static Effect effect(Target target, String pkg, List<Ast.Rule> rules) throws RegoException {
        List<String> names = target.effectNames();
        List<String> defined = new ArrayList<>();
        for (String effect : names) {
            String path = "data." + pkg + "." + effect;
            boolean has = false;
            for (Ast.Rule r : rules) {
                String rulePath = String.join(".", r.path());
                // regorus compares the paths as strings, so a rule "allowed" is "below" the effect
                // "allow" too; kept, so the same policies are refused
                if (rulePath.startsWith(path) && rulePath.length() > path.length()) {
                    throw noEffectRules(target, pkg, names);
                }
                has |= rulePath.equals(path);
            }
            if (has) {
                defined.add(effect);
            }
        }
        if (defined.isEmpty()) {
            throw noEffectRules(target, pkg, names);
        }
        if (defined.size() > 1) {
            throw new RegoException("Multiple effects have rules defined for target '" + target.name() + "': "
                    + String.join(", ", defined) + ". Only one effect should have rules defined in package '" + pkg + "'");
        }
        String effect = defined.get(0);
        return new Effect(target, effect, "data." + pkg + "." + effect, target.effects().get(effect));
    }

    private static RegoException noEffectRules(Target target, String pkg, List<String> names) {
        String list = names.size() == 1 ? names.get(0)
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
        return new RegoException("Target '" + target.name() + "' requires a rule with name " + list + " in package '"
                + pkg + "'");
    }

    /**
     * Each body of the effect's (non-default) rules is matched to a resource type: the first
     * top-level `input.<selector> == "type"` (either way round) names it. A body naming no listed
     * type needs the target's default resource schema, which must be an object able to hold the
     * selector property. Only the errors matter here: nothing reads the inferred types yet.
     */
    private static void inferResourceTypes(Effect effect, List<Ast.Rule> rules) throws RegoException {
        Target target = effect.target();
        for (Ast.Rule r : rules) {
            if (r.isDefault() || !String.join(".", r.path()).equals(effect.path())) {
                continue;
            }
            for (Ast.Rule branch = r; branch != null; branch = branch.elseRule()) {
                Value type = resourceType(branch.body(), target.selector());
                if (type == null || !target.resourceTypes().contains(type)) {
                    checkDefaultSchema(target);
                }
            }
        }
    }

    private static Value resourceType(List<Ast.Lit> body, String selector) {
        if (body == null) {
            return null;
        }
        for (Ast.Lit l : body) {
            if (l instanceof Ast.ExprLit x && !x.negated() && x.expr() instanceof Ast.Binary b && b.op().equals("==")) {
                if (isInputField(b.left(), selector) && b.right() instanceof Ast.Scalar s && s.value() instanceof Value.Str) {
                    return s.value();
                }
                if (isInputField(b.right(), selector) && b.left() instanceof Ast.Scalar s && s.value() instanceof Value.Str) {
                    return s.value();
                }
            }
        }
        return null;
    }

    private static boolean isInputField(Ast.Term t, String field) {
        return t instanceof Ast.Ref ref && ref.head() instanceof Ast.Var v && v.name().equals("input")
                && ref.path().size() == 1 && ref.path().get(0) instanceof Ast.Scalar s && s.value().equals(Value.str(field));
    }

    private static void checkDefaultSchema(Target target) throws RegoException {
        Value schema = target.defaultResourceSchema();
        if (schema == null) {
            throw new RegoException("Missing default resource schema: Target '" + target.name()
                    + "' has no default resource schema");
        }
        Map<Value, Value> s = ((Value.Obj) schema).map();
        if (!Value.str("object").equals(s.get(Value.str("type")))) {
            throw new RegoException("Invalid default schema type: Default resource schema must be an object type");
        }
        boolean listed = s.get(Value.str("properties")) instanceof Value.Obj p && p.map().containsKey(Value.str(target.selector()));
        if (!listed && Value.FALSE.equals(s.get(Value.str("additionalProperties")))) {
            throw new RegoException("Incompatible default schema: Default resource schema must either have additional"
                    + " properties enabled or contain a '" + target.selector() + "' property");
        }
    }
}
