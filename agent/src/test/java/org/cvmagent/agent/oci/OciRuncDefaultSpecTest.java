package org.cvmagent.agent.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxCapabilities;
import org.cvmagent.proto.agent.LinuxDeviceCgroup;
import org.cvmagent.proto.agent.LinuxIDMapping;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.POSIXRlimit;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.User;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * runc's own default config.json (from {@code runc spec}) is the reference document: the same
 * content sent the way kata's runtime would send it must come out of the translator as the same
 * JSON tree, keys and values. Needs runc on PATH (Debian package {@code runc}); without it the
 * test fails rather than skips.
 */
class OciRuncDefaultSpecTest {

    /** The agent has no bundle directory, so the relative "rootfs" becomes a guest path. */
    private static final String GUEST_ROOTFS = "/run/kata-containers/c1/rootfs";

    private final ObjectMapper mapper = new ObjectMapper();
    private final JsonTrees trees = new JsonTrees();

    @ParameterizedTest(name = "runc spec {0}")
    @ValueSource(strings = {"", "--rootless"})
    void translatorReproducesRuncsDefaultConfig(String flag, @TempDir Path bundle)
            throws Exception {
        ObjectNode runcConfig = runcSpec(bundle, flag);
        Spec kataSpec = toKataSpec(runcConfig);
        ((ObjectNode) runcConfig.get("root")).put("path", GUEST_ROOTFS);

        ObjectNode translated = new OciSpecTranslator().translate(kataSpec);

        assertEquals(keyPaths(runcConfig), keyPaths(translated));
        trees.assertSameTree(runcConfig, translated);
    }

    private ObjectNode runcSpec(Path bundle, String flag) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("runc", "spec", "--bundle",
                bundle.toString()));
        if (!flag.isEmpty()) {
            command.add(flag);
        }
        java.lang.Process runc = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(runc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!runc.waitFor(30, TimeUnit.SECONDS) || runc.exitValue() != 0) {
            throw new AssertionError("runc spec failed: " + output);
        }
        return (ObjectNode) mapper.readTree(Files.readAllBytes(bundle.resolve("config.json")));
    }

    /**
     * Builds the kata message carrying what runc's config says, for exactly the keys runc's
     * default uses. Any other key fails the test, so a newer runc default cannot pass unseen.
     */
    private static Spec toKataSpec(JsonNode config) {
        Spec.Builder spec = Spec.newBuilder();
        fields(config, "", Map.of(
                "ociVersion", v -> spec.setVersion(v.asText()),
                "process", v -> spec.setProcess(process(v)),
                "root", v -> spec.setRoot(Root.newBuilder().setPath(GUEST_ROOTFS)
                        .setReadonly(v.path("readonly").asBoolean())),
                "hostname", v -> spec.setHostname(v.asText()),
                "mounts", v -> v.forEach(m -> spec.addMounts(mount(m))),
                "linux", v -> spec.setLinux(linux(v))));
        return spec.build();
    }

    private static org.cvmagent.proto.agent.Process process(JsonNode process) {
        org.cvmagent.proto.agent.Process.Builder out = org.cvmagent.proto.agent.Process.newBuilder();
        fields(process, "process.", Map.of(
                "terminal", v -> out.setTerminal(v.asBoolean()),
                "user", v -> out.setUser(User.newBuilder().setUID(v.path("uid").asInt())
                        .setGID(v.path("gid").asInt())),
                "args", v -> out.addAllArgs(strings(v)),
                "env", v -> out.addAllEnv(strings(v)),
                "cwd", v -> out.setCwd(v.asText()),
                "capabilities", v -> out.setCapabilities(LinuxCapabilities.newBuilder()
                        .addAllBounding(strings(v.path("bounding")))
                        .addAllEffective(strings(v.path("effective")))
                        .addAllInheritable(strings(v.path("inheritable")))
                        .addAllPermitted(strings(v.path("permitted")))
                        .addAllAmbient(strings(v.path("ambient")))),
                "rlimits", v -> v.forEach(r -> out.addRlimits(POSIXRlimit.newBuilder()
                        .setType(r.path("type").asText()).setHard(r.path("hard").asLong())
                        .setSoft(r.path("soft").asLong()))),
                "noNewPrivileges", v -> out.setNoNewPrivileges(v.asBoolean())));
        return out.build();
    }

    private static Mount mount(JsonNode mount) {
        Mount.Builder out = Mount.newBuilder();
        fields(mount, "mounts[].", Map.of(
                "destination", v -> out.setDestination(v.asText()),
                "type", v -> out.setType(v.asText()),
                "source", v -> out.setSource(v.asText()),
                "options", v -> out.addAllOptions(strings(v))));
        return out.build();
    }

    private static Linux linux(JsonNode linux) {
        Linux.Builder out = Linux.newBuilder();
        fields(linux, "linux.", Map.of(
                "uidMappings", v -> v.forEach(m -> out.addUIDMappings(idMapping(m))),
                "gidMappings", v -> v.forEach(m -> out.addGIDMappings(idMapping(m))),
                "resources", v -> out.setResources(resources(v)),
                "namespaces", v -> v.forEach(ns -> out.addNamespaces(
                        OciSpecSamples.ns(ns.path("type").asText(), ns.path("path").asText()))),
                "maskedPaths", v -> out.addAllMaskedPaths(strings(v)),
                "readonlyPaths", v -> out.addAllReadonlyPaths(strings(v))));
        return out.build();
    }

    private static LinuxResources resources(JsonNode resources) {
        LinuxResources.Builder out = LinuxResources.newBuilder();
        fields(resources, "linux.resources.", Map.of(
                "devices", v -> v.forEach(d -> out.addDevices(LinuxDeviceCgroup.newBuilder()
                        .setAllow(d.path("allow").asBoolean()).setType(d.path("type").asText())
                        .setMajor(d.path("major").asLong()).setMinor(d.path("minor").asLong())
                        .setAccess(d.path("access").asText())))));
        return out.build();
    }

    private static LinuxIDMapping idMapping(JsonNode mapping) {
        return LinuxIDMapping.newBuilder().setContainerID(mapping.path("containerID").asInt())
                .setHostID(mapping.path("hostID").asInt()).setSize(mapping.path("size").asInt())
                .build();
    }

    private static void fields(JsonNode node, String prefix, Map<String, Consumer<JsonNode>> known) {
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            Consumer<JsonNode> handler = known.get(entry.getKey());
            if (handler == null) {
                throw new AssertionError("runc's default config has " + prefix + entry.getKey()
                        + ", which this test does not map yet");
            }
            handler.accept(entry.getValue());
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }

    /** Every key path in the tree (array elements share their array's path). */
    private static Set<String> keyPaths(JsonNode node) {
        Set<String> out = new TreeSet<>();
        collect(node, "", out);
        return out;
    }

    private static void collect(JsonNode node, String path, Set<String> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                out.add(path + "/" + e.getKey());
                collect(e.getValue(), path + "/" + e.getKey(), out);
            });
        } else if (node.isArray()) {
            node.forEach(element -> collect(element, path + "[]", out));
        }
    }
}
