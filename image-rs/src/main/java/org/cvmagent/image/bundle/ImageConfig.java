package org.cvmagent.image.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runtime part of an image config blob ({@code config.Entrypoint, Cmd, Env, WorkingDir,
 * User}), and how it fills in a container's process the way containerd's CRI plugin does.
 */
public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir,
                          String user) {
    public ImageConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
    }

    public static ImageConfig parse(byte[] configBlob) throws IOException {
        JsonNode root = new ObjectMapper().readTree(configBlob);
        if (root == null || !root.isObject()) {
            throw new IOException("image config is not a JSON object");
        }
        JsonNode c = root.path("config");
        return new ImageConfig(strings(c.path("Entrypoint")), strings(c.path("Cmd")), strings(c.path("Env")),
                c.path("WorkingDir").asText(""), c.path("User").asText(""));
    }

    private static List<String> strings(JsonNode n) throws IOException {
        List<String> out = new ArrayList<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw new IOException("image config field is not an array: " + n);
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new IOException("image config array holds a non-string: " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    /**
     * What the container asked for: {@code command} overrides the image's Entrypoint, and
     * {@code args} its Cmd (CRI's ContainerConfig.command/args); empty means "not set".
     */
    public record ContainerProcess(List<String> command, List<String> args, List<String> env, String cwd,
                                   String user) {
        public ContainerProcess {
            command = List.copyOf(command);
            args = List.copyOf(args);
            env = List.copyOf(env);
        }
    }

    /** The process to put in the OCI spec. */
    public record ProcessSpec(List<String> args, List<String> env, String cwd, String user) {
        public ProcessSpec {
            args = List.copyOf(args);
            env = List.copyOf(env);
        }
    }

    /**
     * Fills in the container's process from the image: a container command replaces the
     * Entrypoint and drops Cmd; otherwise the Entrypoint stays and container args replace Cmd.
     * The image Env comes first, with values the container sets for the same name replaced, then
     * the container's other variables. Working dir and user default to the image's.
     *
     * @throws IllegalArgumentException when neither side gives a command
     */
    public ProcessSpec applyTo(ContainerProcess c) {
        List<String> argv = new ArrayList<>();
        if (!c.command().isEmpty()) {
            argv.addAll(c.command());
            argv.addAll(c.args());
        } else {
            argv.addAll(entrypoint);
            argv.addAll(c.args().isEmpty() ? cmd : c.args());
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("no command specified by the container or the image");
        }
        String cwd = !c.cwd().isEmpty() ? c.cwd() : !workingDir.isEmpty() ? workingDir : "/";
        String u = !c.user().isEmpty() ? c.user() : user;
        return new ProcessSpec(argv, mergeEnv(env, c.env()), cwd, u);
    }

    private static List<String> mergeEnv(List<String> image, List<String> container) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (String e : image) {
            merged.put(envName(e), e);
        }
        for (String e : container) {
            // put() on an existing key keeps its position: the image's order, the container's value.
            merged.put(envName(e), e);
        }
        return List.copyOf(merged.values());
    }

    private static String envName(String entry) {
        int eq = entry.indexOf('=');
        return eq < 0 ? entry : entry.substring(0, eq);
    }
}
