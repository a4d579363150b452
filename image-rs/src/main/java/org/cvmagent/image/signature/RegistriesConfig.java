package org.cvmagent.image.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * containers-registries.d(5): where each registry's signatures live. Several YAML files are merged;
 * a namespace (or {@code default-docker}) defined in two files is an error rather than a silent
 * pick, as is any key this reader does not know.
 */
public final class RegistriesConfig {

    /** One {@code default-docker} or {@code docker.<namespace>} entry. */
    public record Entry(Optional<URI> lookaside, Optional<Boolean> useSigstoreAttachments) {}

    private static final Set<String> TOP_FIELDS = Set.of("default-docker", "docker");
    private static final Set<String> ENTRY_FIELDS = Set.of(
            "lookaside", "lookaside-staging", "sigstore", "sigstore-staging", "use-sigstore-attachments");

    private final Optional<Entry> defaultDocker;
    private final Map<String, Entry> docker;

    private RegistriesConfig(Optional<Entry> defaultDocker, Map<String, Entry> docker) {
        this.defaultDocker = defaultDocker;
        this.docker = Map.copyOf(docker);
    }

    public static RegistriesConfig empty() {
        return new RegistriesConfig(Optional.empty(), Map.of());
    }

    /** Every {@code *.yaml} file of a registries.d directory, in name order. */
    public static RegistriesConfig loadDirectory(Path dir) throws SignatureVerificationException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<Path> paths = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.yaml")) {
            stream.forEach(paths::add);
            paths.sort(null);
            for (Path p : paths) {
                files.put(p.toString(), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new SignatureVerificationException(SignatureVerificationException.Reason.RESOURCE_UNAVAILABLE,
                    "cannot read registries.d directory " + dir + ": " + e.getMessage(), e);
        }
        return parse(files);
    }

    /** @param files file name (for error messages) to YAML content */
    public static RegistriesConfig parse(Map<String, byte[]> files) throws SignatureVerificationException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Optional<Entry> defaultDocker = Optional.empty();
        String defaultFrom = null;
        Map<String, Entry> docker = new HashMap<>();
        Map<String, String> dockerFrom = new HashMap<>();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String name = file.getKey();
            JsonNode root;
            try {
                root = yaml.readTree(file.getValue());
            } catch (IOException e) {
                throw SignatureVerificationException.invalidPolicy(name + " is not valid YAML: " + e.getMessage());
            }
            if (root == null || root.isMissingNode() || root.isNull()) {
                continue;
            }
            JsonFields top = new JsonFields(root, name, TOP_FIELDS);
            if (top.has("default-docker") && !top.raw("default-docker").isNull()) {
                if (defaultFrom != null) {
                    throw SignatureVerificationException.invalidPolicy(
                            "default-docker is defined both in " + defaultFrom + " and in " + name);
                }
                defaultDocker = Optional.of(entry(top.raw("default-docker"), name + ": default-docker"));
                defaultFrom = name;
            }
            JsonNode namespaces = top.raw("docker");
            if (namespaces != null && !namespaces.isNull()) {
                if (!namespaces.isObject()) {
                    throw SignatureVerificationException.invalidPolicy(name + ": docker must be a mapping");
                }
                for (Map.Entry<String, JsonNode> ns : namespaces.properties()) {
                    String where = name + ": docker[\"" + ns.getKey() + "\"]";
                    if (!DockerReference.isValidScope(ns.getKey())) {
                        throw SignatureVerificationException.invalidPolicy(where + " is not a valid registry namespace");
                    }
                    if (dockerFrom.containsKey(ns.getKey())) {
                        throw SignatureVerificationException.invalidPolicy("docker namespace \"" + ns.getKey()
                                + "\" is defined both in " + dockerFrom.get(ns.getKey()) + " and in " + name);
                    }
                    docker.put(ns.getKey(), entry(ns.getValue(), where));
                    dockerFrom.put(ns.getKey(), name);
                }
            }
        }
        return new RegistriesConfig(defaultDocker, docker);
    }

    private static Entry entry(JsonNode node, String where) throws SignatureVerificationException {
        JsonFields f = new JsonFields(node, where, ENTRY_FIELDS);
        Optional<String> lookaside = f.optionalString("lookaside");
        Optional<String> legacy = f.optionalString("sigstore");
        if (lookaside.isPresent() && legacy.isPresent()) {
            throw SignatureVerificationException.invalidPolicy(
                    where + " sets both lookaside and its legacy name sigstore");
        }
        // The staging URLs are only for writing signatures; they are validated but never read from.
        f.optionalString("lookaside-staging");
        f.optionalString("sigstore-staging");
        Optional<URI> url = Optional.empty();
        Optional<String> chosen = lookaside.or(() -> legacy);
        if (chosen.isPresent()) {
            url = Optional.of(lookasideUrl(chosen.get(), where));
        }
        Optional<Boolean> attachments = Optional.empty();
        JsonNode use = f.raw("use-sigstore-attachments");
        if (use != null) {
            if (!use.isBoolean()) {
                throw SignatureVerificationException.invalidPolicy(where + ".use-sigstore-attachments must be true or false");
            }
            attachments = Optional.of(use.asBoolean());
        }
        return new Entry(url, attachments);
    }

    private static URI lookasideUrl(String text, String where) throws SignatureVerificationException {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw SignatureVerificationException.invalidPolicy(where + ".lookaside is not a URL");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("file") || scheme.equals("http") || scheme.equals("https"))) {
            throw SignatureVerificationException.invalidPolicy(
                    where + ".lookaside must be a file://, http:// or https:// URL");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getPath() == null) {
            throw SignatureVerificationException.invalidPolicy(
                    where + ".lookaside must not have a query or fragment");
        }
        return uri;
    }

    /**
     * The lookaside base URL for {@code ref}: from the most specific {@code docker} namespace that
     * sets one, else from {@code default-docker}.
     */
    public Optional<URI> lookasideFor(DockerReference ref) {
        for (String candidate : ref.scopeCandidates()) {
            Entry e = docker.get(candidate);
            if (e != null && e.lookaside().isPresent()) {
                return e.lookaside();
            }
        }
        return defaultDocker.flatMap(Entry::lookaside);
    }

    /** Whether sigstore signatures are read from registry attachments for {@code ref} (off unless configured). */
    public boolean useSigstoreAttachments(DockerReference ref) {
        for (String candidate : ref.scopeCandidates()) {
            Entry e = docker.get(candidate);
            if (e != null && e.useSigstoreAttachments().isPresent()) {
                return e.useSigstoreAttachments().get();
            }
        }
        return defaultDocker.flatMap(Entry::useSigstoreAttachments).orElse(false);
    }
}
