package org.cvmagent.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials from a docker {@code config.json} / containers {@code auth.json}:
 * {@code {"auths": {"host[/namespace]": {"auth": base64(user:pass)}}}}. Lookup follows
 * containers-auth.json(5): the most specific {@code host/namespace} key wins, then the host;
 * Docker Hub is also found under its legacy {@code https://index.docker.io/v1/} key.
 */
public final class AuthFile implements RegistryCredentials {
    private static final String DOCKER_HUB_LEGACY = "https://index.docker.io/v1/";
    private final Map<String, Credentials> entries;

    private AuthFile(Map<String, Credentials> entries) {
        this.entries = Map.copyOf(entries);
    }

    public static AuthFile empty() {
        return new AuthFile(Map.of());
    }

    public static AuthFile read(Path file) throws IOException {
        return parse(Files.readAllBytes(file));
    }

    public static AuthFile parse(byte[] json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        if (root == null || !root.isObject()) {
            throw new IOException("auth file is not a JSON object");
        }
        JsonNode auths = root.path("auths");
        Map<String, Credentials> entries = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : auths.properties()) {
            String auth = e.getValue().path("auth").asText("");
            if (auth.isEmpty()) {
                // Entries delegated to credential helpers carry no "auth": nothing to use here.
                continue;
            }
            entries.put(normalizeKey(e.getKey()), decode(e.getKey(), auth));
        }
        return new AuthFile(entries);
    }

    private static Credentials decode(String key, String auth) throws IOException {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IOException("auth file entry " + key + " is not base64", e);
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            throw new IOException("auth file entry " + key + " is not user:password");
        }
        return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }

    private static String normalizeKey(String key) {
        if (key.equals(DOCKER_HUB_LEGACY) || key.equals("index.docker.io") || key.equals("registry-1.docker.io")) {
            return ImageReference.DOCKER_HUB;
        }
        // docker login writes some keys as URLs; containers' keys are bare host[/path].
        String k = key.replaceFirst("^https?://", "");
        return k.endsWith("/") ? k.substring(0, k.length() - 1) : k;
    }

    /** Credentials for a repository, or empty when the file has none for it. */
    @Override
    public Optional<Credentials> lookup(ImageReference reference) {
        String key = reference.name();
        while (true) {
            Credentials c = entries.get(key);
            if (c != null) {
                return Optional.of(c);
            }
            int slash = key.lastIndexOf('/');
            if (slash < 0) {
                return Optional.empty();
            }
            key = key.substring(0, slash);
        }
    }
}
