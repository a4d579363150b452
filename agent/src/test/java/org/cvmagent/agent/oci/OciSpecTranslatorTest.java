package org.cvmagent.agent.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.cvmagent.proto.agent.Hooks;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxCapabilities;
import org.cvmagent.proto.agent.LinuxMemory;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.LinuxSeccomp;
import org.cvmagent.proto.agent.Spec;
import org.junit.jupiter.api.Test;

class OciSpecTranslatorTest {

    private final OciSpecTranslator translator = new OciSpecTranslator();
    private final JsonTrees trees = new JsonTrees();

    @Test
    void fullSpecBecomesTheHandWrittenConfig() {
        trees.assertSameTree(trees.resource("/oci/full-config.json"),
                translator.translate(OciSpecSamples.full()));
    }

    @Test
    void minimalSpecOmitsEveryUnsetSection() {
        trees.assertSameTree(trees.resource("/oci/minimal-config.json"),
                translator.translate(OciSpecSamples.minimal().build()));
    }

    @Test
    void fullSpecSurvivesTheWireAndSerialization() throws Exception {
        // What the host sends is bytes; what runc reads is text. Both hops must be lossless.
        Spec overTheWire = Spec.parseFrom(OciSpecSamples.full().toByteArray());
        ObjectMapper mapper = new ObjectMapper();
        JsonNode reread = mapper.readTree(
                mapper.writeValueAsBytes(translator.translate(overTheWire)));
        trees.assertSameTree(trees.resource("/oci/full-config.json"), reread);
    }

    @Test
    void argsEnvAndMapsKeepTheirOrder() {
        List<String> args = new ArrayList<>();
        List<String> env = new ArrayList<>();
        List<String> annotationKeys = new ArrayList<>();
        Spec.Builder spec = OciSpecSamples.minimal();
        org.cvmagent.proto.agent.Process.Builder process = spec.getProcessBuilder().clearArgs();
        Linux.Builder linux = Linux.newBuilder();
        // Descending names, so any sorting on the way would show.
        for (int i = 50; i > 0; i--) {
            args.add("arg" + i);
            env.add("VAR" + i + "=" + i);
            annotationKeys.add("key" + i);
            process.addArgs("arg" + i).addEnv("VAR" + i + "=" + i);
            spec.putAnnotations("key" + i, "value" + i);
            linux.putSysctl("net.k" + i, Integer.toString(i));
        }
        spec.setLinux(linux);

        ObjectNode config = translator.translate(spec.build());

        assertEquals(args, strings(config.at("/process/args")));
        assertEquals(env, strings(config.at("/process/env")));
        List<String> keys = new ArrayList<>();
        config.get("annotations").fieldNames().forEachRemaining(keys::add);
        assertEquals(annotationKeys, keys);
        assertEquals(50, config.get("annotations").size());
        assertEquals("value7", config.at("/annotations/key7").asText());
        assertEquals(50, config.at("/linux/sysctl").size());
        assertEquals("13", config.at("/linux/sysctl/net.k13").asText());
    }

    @Test
    void eachHookListLandsUnderItsOwnKey() {
        // kata's agent copies poststart into poststop; here each stage keeps only its own hooks.
        Spec spec = OciSpecSamples.minimal().setHooks(Hooks.newBuilder()
                .addPoststart(OciSpecSamples.hook("/bin/after-start", 1))).build();

        JsonNode hooks = translator.translate(spec).get("hooks");

        assertEquals(List.of("poststart"), fieldNames(hooks));
        assertEquals("/bin/after-start", hooks.at("/poststart/0/path").asText());
    }

    @Test
    void emptyHooksAndEmptyLinuxSectionsAreOmittedOrEmpty() {
        Spec spec = OciSpecSamples.minimal().setHooks(Hooks.getDefaultInstance())
                .setLinux(Linux.getDefaultInstance()).build();

        ObjectNode config = translator.translate(spec);

        assertFalse(config.has("hooks"));
        assertTrue(config.get("linux").isEmpty(), config.get("linux").toString());
    }

    @Test
    void errnoRetIsWrittenOnlyWhenTheOneofIsSet() {
        Spec spec = OciSpecSamples.minimal().setLinux(Linux.newBuilder().setSeccomp(
                LinuxSeccomp.newBuilder().setDefaultAction("SCMP_ACT_ALLOW")
                        .addSyscalls(org.cvmagent.proto.agent.LinuxSyscall.newBuilder()
                                .addNames("mount").setAction("SCMP_ACT_ERRNO")))).build();

        JsonNode syscall = translator.translate(spec).at("/linux/seccomp/syscalls/0");

        assertFalse(syscall.has("errnoRet"), syscall.toString());
        assertFalse(translator.translate(spec).at("/linux/seccomp").has("architectures"));
    }

    @Test
    void memoryKeepsMinusOneAsUnlimitedAndOmitsZero() {
        Spec spec = OciSpecSamples.minimal().setLinux(Linux.newBuilder().setResources(
                LinuxResources.newBuilder().setMemory(LinuxMemory.newBuilder().setLimit(-1))))
                .build();

        JsonNode memory = translator.translate(spec).at("/linux/resources/memory");

        assertEquals(-1, memory.get("limit").asLong());
        assertEquals(List.of("limit", "disableOOMKiller"), fieldNames(memory));
    }

    @Test
    void eachCallReturnsAnIndependentTree() {
        Spec spec = OciSpecSamples.minimal().build();
        ObjectNode first = translator.translate(spec);
        first.put("hostname", "changed");

        assertFalse(translator.translate(spec).has("hostname"));
    }

    @Test
    void capabilityNamesAreNormalizedAsKataReadsThem() {
        // kata's host side may send names JSON-quoted or without CAP_; the set drops repeats.
        Spec spec = OciSpecSamples.minimal().setProcess(OciSpecSamples.minimal()
                .getProcessBuilder().setCapabilities(LinuxCapabilities.newBuilder()
                        .addBounding("\"CAP_KILL\"").addBounding("CHOWN")
                        .addBounding("CAP_KILL").addBounding("CAP_SYS_ADMIN"))).build();

        JsonNode caps = translator.translate(spec).at("/process/capabilities");

        assertEquals(List.of("CAP_KILL", "CAP_CHOWN", "CAP_SYS_ADMIN"),
                strings(caps.get("bounding")));
        assertEquals(List.of("bounding"), fieldNames(caps));
    }

    @Test
    void anExecProcessTranslatesOnItsOwn() {
        org.cvmagent.proto.agent.Process exec = org.cvmagent.proto.agent.Process.newBuilder()
                .addArgs("/bin/ps").addArgs("aux").setCwd("/").setTerminal(true)
                .setUser(org.cvmagent.proto.agent.User.newBuilder().setUID(33).setGID(33))
                .build();

        trees.assertSameTree(new ObjectMapper().createObjectNode()
                .put("terminal", true)
                .<ObjectNode>set("user", new ObjectMapper().createObjectNode()
                        .put("uid", 33).put("gid", 33))
                .<ObjectNode>set("args", new ObjectMapper().createArrayNode()
                        .add("/bin/ps").add("aux"))
                .put("cwd", "/")
                .put("noNewPrivileges", false),
                translator.translateProcess(exec));
    }

    @Test
    void anExecProcessWithoutArgsIsRefused() {
        InvalidOciSpecException error = org.junit.jupiter.api.Assertions.assertThrows(
                InvalidOciSpecException.class, () -> translator.translateProcess(
                        org.cvmagent.proto.agent.Process.newBuilder().setCwd("/").build()));

        assertEquals("process.args", error.field());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
