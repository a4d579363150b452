package org.cvmagent.agent.oci;

import static org.cvmagent.agent.oci.JsonWriter.putIfNotEmpty;
import static org.cvmagent.agent.oci.JsonWriter.requireAbsolute;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.cvmagent.proto.agent.Hook;
import org.cvmagent.proto.agent.Hooks;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;

/**
 * Turns the {@code grpc.Spec} of a CreateContainerRequest into an OCI runtime-spec config.json
 * document, field for field as kata's agent does ({@code protocols::trans}, grpc → oci), with the
 * runtime-spec's JSON names. Pure: it never touches the filesystem.
 *
 * <p>Input is validated at this boundary and rejected with an {@link InvalidOciSpecException}
 * naming the config.json path of the first offending field. Optional fields that proto3 cannot
 * mark as unset (empty strings, empty lists, zero numbers) are omitted where runtime-spec marks
 * them omitempty; each section documents where that differs from kata.
 */
public final class OciSpecTranslator {

    private final JsonNodeFactory nodes;
    private final ProcessTranslator process;
    private final LinuxTranslator linux;
    private final ResourcesTranslator resources;

    public OciSpecTranslator(JsonNodeFactory nodes) {
        this.nodes = nodes;
        this.process = new ProcessTranslator(nodes);
        this.resources = new ResourcesTranslator(nodes);
        this.linux = new LinuxTranslator(nodes, resources, new SeccompTranslator(nodes));
    }

    public OciSpecTranslator() {
        this(JsonNodeFactory.instance);
    }

    /**
     * @return a fresh config.json tree owned by the caller
     * @throws InvalidOciSpecException if the spec is incomplete or uses values runtime-spec does
     *                                 not define; the message starts with the field's path
     */
    public ObjectNode translate(Spec spec) {
        ObjectNode out = nodes.objectNode();
        if (spec.getVersion().isEmpty()) {
            throw new InvalidOciSpecException("ociVersion", "is required");
        }
        out.put("ociVersion", spec.getVersion());
        // A container (as opposed to an exec) cannot be created without its process.
        if (!spec.hasProcess()) {
            throw new InvalidOciSpecException("process", "is required");
        }
        out.set("process", process.translate("process", spec.getProcess()));
        if (!spec.hasRoot()) {
            throw new InvalidOciSpecException("root", "is required");
        }
        out.set("root", root(spec.getRoot()));
        putIfNotEmpty(out, "hostname", spec.getHostname());
        if (spec.getMountsCount() > 0) {
            ArrayNode mounts = out.putArray("mounts");
            for (int i = 0; i < spec.getMountsCount(); i++) {
                mounts.add(mount("mounts[" + i + "]", spec.getMounts(i)));
            }
        }
        if (spec.hasHooks()) {
            ObjectNode hooks = hooks(spec.getHooks());
            // All-empty hooks carry nothing; runtime-spec omits the object.
            if (!hooks.isEmpty()) {
                out.set("hooks", hooks);
            }
        }
        putIfNotEmpty(out, "annotations", spec.getAnnotationsMap());
        if (spec.hasLinux()) {
            out.set("linux", linux.translate("linux", spec.getLinux()));
        }
        // The guest is Linux; a Solaris or Windows section can only be a host mistake, and
        // dropping it silently would hide that.
        if (spec.hasSolaris()) {
            throw new InvalidOciSpecException("solaris", "is not supported in a Linux guest");
        }
        if (spec.hasWindows()) {
            throw new InvalidOciSpecException("windows", "is not supported in a Linux guest");
        }
        return out;
    }

    /**
     * Translates a process on its own, as ExecProcessRequest carries it (runc exec --process
     * reads exactly this object). Errors name fields under {@code process}.
     */
    public ObjectNode translateProcess(org.cvmagent.proto.agent.Process process) {
        return this.process.translate("process", process);
    }

    /**
     * Translates resources on their own, as UpdateContainerRequest carries them ({@code runc update
     * --resources} reads exactly this object). Errors name fields under {@code resources}.
     */
    public ObjectNode translateResources(org.cvmagent.proto.agent.LinuxResources resources) {
        return this.resources.translate("resources", resources);
    }

    private ObjectNode root(Root root) {
        // runtime-spec allows a bundle-relative path, but the agent has no bundle directory to
        // resolve it against: kata's runtime always sends the guest's absolute rootfs path.
        requireAbsolute("root.path", root.getPath());
        ObjectNode out = nodes.objectNode();
        out.put("path", root.getPath());
        out.put("readonly", root.getReadonly());
        return out;
    }

    private ObjectNode mount(String field, Mount mount) {
        requireAbsolute(field + ".destination", mount.getDestination());
        ObjectNode out = nodes.objectNode();
        out.put("destination", mount.getDestination());
        putIfNotEmpty(out, "type", mount.getType());
        putIfNotEmpty(out, "source", mount.getSource());
        putIfNotEmpty(out, "options", mount.getOptionsList());
        return out;
    }

    private ObjectNode hooks(Hooks hooks) {
        ObjectNode out = nodes.objectNode();
        // Each list goes to its own key; kata's agent copies Poststart into poststop, which we do
        // not reproduce.
        hookList(out, "prestart", hooks.getPrestartList());
        hookList(out, "createRuntime", hooks.getCreateRuntimeList());
        hookList(out, "createContainer", hooks.getCreateContainerList());
        hookList(out, "startContainer", hooks.getStartContainerList());
        hookList(out, "poststart", hooks.getPoststartList());
        hookList(out, "poststop", hooks.getPoststopList());
        return out;
    }

    private void hookList(ObjectNode out, String key, List<Hook> hooks) {
        if (hooks.isEmpty()) {
            return;
        }
        ArrayNode array = out.putArray(key);
        for (int i = 0; i < hooks.size(); i++) {
            array.add(hook("hooks." + key + "[" + i + "]", hooks.get(i)));
        }
    }

    private ObjectNode hook(String field, Hook hook) {
        requireAbsolute(field + ".path", hook.getPath());
        ObjectNode out = nodes.objectNode();
        out.put("path", hook.getPath());
        putIfNotEmpty(out, "args", hook.getArgsList());
        putIfNotEmpty(out, "env", hook.getEnvList());
        // runtime-spec: timeout, if set, MUST be > 0; 0 is proto3's "unset".
        if (hook.getTimeout() < 0) {
            throw new InvalidOciSpecException(field + ".timeout",
                    "must be greater than zero, got " + hook.getTimeout());
        }
        if (hook.getTimeout() > 0) {
            out.put("timeout", hook.getTimeout());
        }
        return out;
    }
}
