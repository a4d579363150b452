package org.cvmagent.agent.oci;

import static org.cvmagent.agent.oci.JsonWriter.putIfNotEmpty;
import static org.cvmagent.agent.oci.JsonWriter.putUnsigned;
import static org.cvmagent.agent.oci.JsonWriter.requireAbsolute;
import static org.cvmagent.agent.oci.JsonWriter.requireOneOf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.cvmagent.proto.agent.LinuxCapabilities;
import org.cvmagent.proto.agent.POSIXRlimit;
import org.cvmagent.proto.agent.User;

/**
 * Translates kata's {@code grpc.Process} into config.json's {@code process} object (config.md
 * "Process"), the way kata's protocols {@code From<grpc::Process> for oci::Process} does, except
 * that bad input is rejected with the field named instead of panicking or being defaulted.
 */
final class ProcessTranslator {

    private final JsonNodeFactory nodes;

    ProcessTranslator(JsonNodeFactory nodes) {
        this.nodes = nodes;
    }

    /**
     * @param field where this process sits in the document ({@code process}); kept as a parameter
     *              so exec'd processes can later be checked with their own path.
     */
    ObjectNode translate(String field, org.cvmagent.proto.agent.Process process) {
        ObjectNode out = nodes.objectNode();
        // kata always sets terminal (Some(bool)), so it is always present here too.
        out.put("terminal", process.getTerminal());
        if (process.hasConsoleSize()) {
            ObjectNode box = out.putObject("consoleSize");
            putUnsigned(box, "height", process.getConsoleSize().getHeight());
            putUnsigned(box, "width", process.getConsoleSize().getWidth());
        }
        // user is REQUIRED on Linux; a missing message means uid 0 / gid 0, as in kata.
        out.set("user", user(process.getUser()));
        if (process.getArgsCount() == 0) {
            throw new InvalidOciSpecException(field + ".args", "must name at least the executable");
        }
        putIfNotEmpty(out, "args", process.getArgsList());
        putIfNotEmpty(out, "env", process.getEnvList());
        requireAbsolute(field + ".cwd", process.getCwd());
        out.put("cwd", process.getCwd());
        if (process.hasCapabilities()) {
            out.set("capabilities",
                    capabilities(field + ".capabilities", process.getCapabilities()));
        }
        if (process.getRlimitsCount() > 0) {
            ArrayNode rlimits = out.putArray("rlimits");
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < process.getRlimitsCount(); i++) {
                String at = field + ".rlimits[" + i + "]";
                POSIXRlimit rlimit = process.getRlimits(i);
                rlimits.add(rlimit(at, rlimit));
                // config.md: a duplicate rlimit type MUST be an error (which one would win?).
                if (!seen.add(rlimit.getType())) {
                    throw new InvalidOciSpecException(at + ".type",
                            "duplicate rlimit type '" + rlimit.getType() + "'");
                }
            }
        }
        // kata always sets noNewPrivileges (Some(bool)).
        out.put("noNewPrivileges", process.getNoNewPrivileges());
        putIfNotEmpty(out, "apparmorProfile", process.getApparmorProfile());
        // 0 is the kernel's default adjustment and proto3's "unset"; kata omits it likewise.
        long oomScoreAdj = process.getOOMScoreAdj();
        if (oomScoreAdj != 0) {
            if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
                throw new InvalidOciSpecException(field + ".oomScoreAdj",
                        "must be within [-1000, 1000], got " + oomScoreAdj);
            }
            out.put("oomScoreAdj", (int) oomScoreAdj);
        }
        putIfNotEmpty(out, "selinuxLabel", process.getSelinuxLabel());
        return out;
    }

    private ObjectNode user(User user) {
        ObjectNode out = nodes.objectNode();
        putUnsigned(out, "uid", user.getUID());
        putUnsigned(out, "gid", user.getGID());
        // kata's proto has no umask; runtime-spec's umask stays absent (runc then keeps 0022).
        // kata emits additionalGids/username even when empty; runtime-spec marks both omitempty
        // and an empty list or name means the same to runc, so we omit them.
        if (user.getAdditionalGidsCount() > 0) {
            ArrayNode gids = out.putArray("additionalGids");
            user.getAdditionalGidsList().forEach(gid -> gids.add(Integer.toUnsignedLong(gid)));
        }
        putIfNotEmpty(out, "username", user.getUsername());
        return out;
    }

    private ObjectNode capabilities(String field, LinuxCapabilities caps) {
        // An empty set is omitted (omitempty), which runc reads as empty.
        ObjectNode out = nodes.objectNode();
        capabilitySet(out, "bounding", field, caps.getBoundingList());
        capabilitySet(out, "effective", field, caps.getEffectiveList());
        capabilitySet(out, "inheritable", field, caps.getInheritableList());
        capabilitySet(out, "permitted", field, caps.getPermittedList());
        capabilitySet(out, "ambient", field, caps.getAmbientList());
        return out;
    }

    /**
     * Writes one capability set the way kata's agent reads it: a name may arrive JSON-quoted or
     * without its {@code CAP_} prefix and is written in runtime-spec's {@code CAP_X} form; the set
     * is a set, so repeats are dropped (first occurrence keeps its place, kata's HashSet keeps
     * none). An unknown name is refused, as kata's enum parse does (by panicking).
     */
    private void capabilitySet(ObjectNode out, String key, String field, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        Set<String> set = new LinkedHashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String name = unquoted(names.get(i));
            String canonical = name.startsWith("CAP_") ? name : "CAP_" + name;
            requireOneOf(field + "." + key + "[" + i + "]", canonical, OciVocabulary.CAPABILITIES,
                    "capability");
            set.add(canonical);
        }
        ArrayNode array = out.putArray(key);
        set.forEach(array::add);
    }

    /** Strips one pair of JSON string quotes (kata's host side may send names JSON-encoded). */
    private static String unquoted(String name) {
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
            return name.substring(1, name.length() - 1);
        }
        return name;
    }

    private ObjectNode rlimit(String field, POSIXRlimit rlimit) {
        requireOneOf(field + ".type", rlimit.getType(), OciVocabulary.RLIMIT_TYPES, "rlimit type");
        ObjectNode out = nodes.objectNode();
        out.put("type", rlimit.getType());
        putUnsigned(out, "hard", rlimit.getHard());
        putUnsigned(out, "soft", rlimit.getSoft());
        return out;
    }
}
