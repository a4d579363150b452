package org.cvmagent.agent.oci;

import static org.cvmagent.agent.oci.JsonWriter.putUnsigned;
import static org.cvmagent.agent.oci.JsonWriter.requireOneOf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import org.cvmagent.proto.agent.LinuxSeccomp;
import org.cvmagent.proto.agent.LinuxSeccompArg;
import org.cvmagent.proto.agent.LinuxSyscall;

/** Translates kata's {@code grpc.LinuxSeccomp} into config.json's {@code linux.seccomp}. */
final class SeccompTranslator {

    private final JsonNodeFactory nodes;

    SeccompTranslator(JsonNodeFactory nodes) {
        this.nodes = nodes;
    }

    ObjectNode translate(String field, LinuxSeccomp seccomp) {
        ObjectNode out = nodes.objectNode();
        requireOneOf(field + ".defaultAction", seccomp.getDefaultAction(),
                OciVocabulary.SECCOMP_ACTIONS, "seccomp action");
        out.put("defaultAction", seccomp.getDefaultAction());
        // kata sets architectures/flags/syscalls to Some(empty); runtime-spec omits empty lists
        // and an absent list means the same to runc.
        putCheckedList(out, "architectures", field + ".architectures",
                seccomp.getArchitecturesList(), OciVocabulary.SECCOMP_ARCHITECTURES,
                "seccomp architecture");
        putCheckedList(out, "flags", field + ".flags", seccomp.getFlagsList(),
                OciVocabulary.SECCOMP_FLAGS, "seccomp flag");
        if (seccomp.getSyscallsCount() > 0) {
            ArrayNode syscalls = out.putArray("syscalls");
            for (int i = 0; i < seccomp.getSyscallsCount(); i++) {
                syscalls.add(syscall(field + ".syscalls[" + i + "]", seccomp.getSyscalls(i)));
            }
        }
        return out;
    }

    private void putCheckedList(ObjectNode out, String key, String field, List<String> values,
            Set<String> allowed, String what) {
        if (values.isEmpty()) {
            return;
        }
        ArrayNode array = out.putArray(key);
        for (int i = 0; i < values.size(); i++) {
            requireOneOf(field + "[" + i + "]", values.get(i), allowed, what);
            array.add(values.get(i));
        }
    }

    private ObjectNode syscall(String field, LinuxSyscall syscall) {
        ObjectNode out = nodes.objectNode();
        if (syscall.getNamesCount() == 0) {
            throw new InvalidOciSpecException(field + ".names", "must name at least one syscall");
        }
        ArrayNode names = out.putArray("names");
        syscall.getNamesList().forEach(names::add);
        requireOneOf(field + ".action", syscall.getAction(), OciVocabulary.SECCOMP_ACTIONS,
                "seccomp action");
        out.put("action", syscall.getAction());
        // errnoRet is a oneof in kata's proto precisely so that "unset" (runc then uses EPERM)
        // differs from an explicit 0; only a set value is written.
        if (syscall.hasErrnoret()) {
            putUnsigned(out, "errnoRet", syscall.getErrnoret());
        }
        if (syscall.getArgsCount() > 0) {
            ArrayNode args = out.putArray("args");
            for (int i = 0; i < syscall.getArgsCount(); i++) {
                args.add(arg(field + ".args[" + i + "]", syscall.getArgs(i)));
            }
        }
        return out;
    }

    private ObjectNode arg(String field, LinuxSeccompArg arg) {
        ObjectNode out = nodes.objectNode();
        putUnsigned(out, "index", arg.getIndex());
        putUnsigned(out, "value", arg.getValue());
        // kata always writes valueTwo; runc ignores it unless op is SCMP_CMP_MASKED_EQ.
        putUnsigned(out, "valueTwo", arg.getValueTwo());
        requireOneOf(field + ".op", arg.getOp(), OciVocabulary.SECCOMP_OPERATORS,
                "seccomp operator");
        out.put("op", arg.getOp());
        return out;
    }
}
