package org.cvmagent.agent.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.cvmagent.agent.config.ConfigException;
import org.cvmagent.agent.config.ImageFile;
import org.cvmagent.agent.config.KernelCmdline;

/**
 * How images are pulled in the guest, from kata's kernel command line options and from the
 * {@code [image]} table of the init-data's cdh.toml (what CoCo users and OpenShift sandboxed
 * containers write); the command line wins where both say something, in development mode. A
 * confidential agent takes no image option from the host's command line: only init-data's
 * cdh.toml (measured) and the image's own files decide.
 *
 * @param policy                containers-policy.json: absolute path or {@code kbs:///} URI
 * @param registriesD           registries.d (lookaside and sigstore attachments): directory,
 *                              {@code kbs:///} YAML, or a file
 * @param registryAuth          auth.json: absolute path or {@code kbs:///} URI
 * @param insecureRegistries    host[:port] spoken to over plain HTTP
 * @param httpsProxy            proxy for registry requests
 * @param noProxy               hosts reached directly
 * @param extraRootCertificates PEM certificates trusted for registries besides the system CAs
 * @param parallelLayers        layers downloaded at once per image, when configured
 * @param decryptionKey         ours: private key(s) for encrypted layers' JWE recipients, a
 *                              {@code kbs:///} URI or an absolute path (JWK, JWK set or PEM PKCS#8);
 *                              only from init-data's cdh.toml, never from the host's command line
 * @param requireEncryptedLayers ours: refuse images with any unencrypted layer
 * @param maxUnpackedBytes      ours: bytes of files all of an image's layers may unpack to, when
 *                              configured (otherwise derived from the guest's RAM)
 * @param maxUnpackedEntries    ours: tar entries all of an image's layers may hold, when configured
 * @param storeDevice           ours: a disk of the host, {@code /dev/NAME}, for the layer store,
 *                              formatted at the first pull as LUKS2 + dm-integrity under a key of this
 *                              boot ({@code image_store_device}); only from init-data's cdh.toml.
 *                              Without it the store is on the agent's tmpfs, in guest RAM
 */
public record ImageSettings(Optional<String> policy, Optional<String> registriesD, Optional<String> registryAuth,
                            Set<String> insecureRegistries, Optional<URI> httpsProxy, List<String> noProxy,
                            List<String> extraRootCertificates, Optional<Integer> parallelLayers,
                            Optional<String> decryptionKey, boolean requireEncryptedLayers,
                            Optional<Long> maxUnpackedBytes, Optional<Long> maxUnpackedEntries,
                            Optional<Path> storeDevice) {
    static final String POLICY_PARAMETER = "agent.image_policy_file";
    static final String REGISTRIES_D_PARAMETER = "agent.image_registries_d";
    static final String AUTH_PARAMETER = "agent.image_registry_auth";
    static final String INSECURE_PARAMETER = "agent.image_insecure_registries";
    static final String PROXY_PARAMETER = "agent.https_proxy";
    static final String NO_PROXY_PARAMETER = "agent.no_proxy";
    /** Ours, in cdh.toml's [image] table: the disk for the encrypted layer store. */
    static final String STORE_DEVICE = "image_store_device";
    private static final java.util.regex.Pattern DEVICE_NAME =
            java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final System.Logger LOG = System.getLogger(ImageSettings.class.getName());

    public ImageSettings {
        insecureRegistries = Set.copyOf(insecureRegistries);
        noProxy = List.copyOf(noProxy);
        extraRootCertificates = List.copyOf(extraRootCertificates);
    }

    /** Without decryption keys (unencrypted images accepted) and with the default unpack bounds. */
    public ImageSettings(Optional<String> policy, Optional<String> registriesD, Optional<String> registryAuth,
                         Set<String> insecureRegistries, Optional<URI> httpsProxy, List<String> noProxy,
                         List<String> extraRootCertificates, Optional<Integer> parallelLayers) {
        this(policy, registriesD, registryAuth, insecureRegistries, httpsProxy, noProxy, extraRootCertificates,
                parallelLayers, Optional.empty(), false, Optional.empty(), Optional.empty());
    }

    /** Without an image store device: the layer store is in guest RAM. */
    public ImageSettings(Optional<String> policy, Optional<String> registriesD, Optional<String> registryAuth,
                         Set<String> insecureRegistries, Optional<URI> httpsProxy, List<String> noProxy,
                         List<String> extraRootCertificates, Optional<Integer> parallelLayers,
                         Optional<String> decryptionKey, boolean requireEncryptedLayers,
                         Optional<Long> maxUnpackedBytes, Optional<Long> maxUnpackedEntries) {
        this(policy, registriesD, registryAuth, insecureRegistries, httpsProxy, noProxy, extraRootCertificates,
                parallelLayers, decryptionKey, requireEncryptedLayers, maxUnpackedBytes, maxUnpackedEntries,
                Optional.empty());
    }

    /** Nothing configured: unsigned images accepted (and logged), HTTPS only, no proxy. */
    public static ImageSettings none() {
        return new ImageSettings(Optional.empty(), Optional.empty(), Optional.empty(), Set.of(), Optional.empty(),
                List.of(), List.of(), Optional.empty());
    }

    /**
     * @param cdhToml the init-data's cdh.toml, if the host passed init-data with one
     * @throws IllegalArgumentException for a malformed value, naming the option
     */
    public static ImageSettings from(KernelCmdline cmdline, Optional<String> cdhToml) {
        return from(cmdline, cdhToml, Optional.empty());
    }

    /**
     * @param cmdline    the kernel command line's image options (confidential mode passes none)
     * @param cdhToml    the init-data's cdh.toml, if the host passed init-data with one
     * @param imageFiles in confidential mode, the check that a local signature policy or credentials
     *                   file is part of the measured image (a regular, root-owned file on the root
     *                   file system), never a host disk such as {@code /dev/vdb}
     * @throws IllegalArgumentException for a malformed value, naming the option
     */
    public static ImageSettings from(KernelCmdline cmdline, Optional<String> cdhToml, Optional<ImageFile> imageFiles) {
        ImageSettings settings = parse(cmdline, cdhToml);
        if (imageFiles.isPresent()) {
            localFile(settings.policy(), "image_security_policy_uri", imageFiles.get());
            localFile(settings.registryAuth(), "authenticated_registry_credentials_uri", imageFiles.get());
            localFile(settings.decryptionKey(), "image_decryption_key_uri", imageFiles.get());
        }
        return settings;
    }

    private static void localFile(Optional<String> location, String setting, ImageFile imageFiles) {
        if (location.isEmpty() || location.get().startsWith("kbs:")) {
            return;
        }
        try {
            imageFiles.check(Path.of(location.get()), false, "cdh.toml [image] " + setting);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static ImageSettings parse(KernelCmdline cmdline, Optional<String> cdhToml) {
        JsonNode image = cdhToml.map(ImageSettings::imageTable).orElse(null);
        Optional<String> proxy = cmdline.value(PROXY_PARAMETER).or(() -> text(image, "image_pull_proxy"));
        String noProxy = cmdline.value(NO_PROXY_PARAMETER).or(() -> text(image, "skip_proxy_ips")).orElse("");
        if (image != null) {
            for (String unsupported : List.of("registry_configuration_uri", "work_dir")) {
                text(image, unsupported).ifPresent(v -> LOG.log(System.Logger.Level.WARNING, "cdh.toml [image] "
                        + unsupported + " is not supported by this agent and is ignored"));
            }
        }
        return new ImageSettings(
                cmdline.value(POLICY_PARAMETER).or(() -> text(image, "image_security_policy_uri")).map(ImageSettings::location),
                cmdline.value(REGISTRIES_D_PARAMETER).or(() -> text(image, "sigstore_config_uri")).map(ImageSettings::location),
                cmdline.value(AUTH_PARAMETER).or(() -> text(image, "authenticated_registry_credentials_uri"))
                        .map(ImageSettings::location),
                cmdline.value(INSECURE_PARAMETER).map(ImageSettings::hosts).orElseGet(() -> list(image,
                        "insecure_registries")),
                proxy.map(ImageSettings::proxy),
                List.copyOf(hosts(noProxy)),
                certificates(image),
                positive(image, "max_concurrent_layer_downloads_per_image"),
                // ours, from init-data only: the host's command line never names a key
                text(image, "image_decryption_key_uri").map(ImageSettings::location),
                bool(image, "require_encrypted_layers"),
                positiveLong(image, "max_unpacked_bytes_per_image"),
                positiveLong(image, "max_unpacked_entries_per_image"),
                // ours, from init-data only: which host disk holds the (encrypted) layer store
                text(image, STORE_DEVICE).map(ImageSettings::storeDevice));
    }

    /**
     * A whole disk directly in {@code /dev} ({@code /dev/vdc}), as SecureMount's {@code devicePath}:
     * the guest has no udev, so there are no {@code /dev/disk/by-*} links to name it by.
     */
    private static Path storeDevice(String value) {
        String name = value.startsWith("/dev/") ? value.substring("/dev/".length()) : "";
        if (value.contains("..") || !DEVICE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("init-data cdh.toml [image] " + STORE_DEVICE + " = \"" + value
                    + "\" is not a disk directly in /dev, such as /dev/vdc");
        }
        return Path.of(value);
    }

    private static boolean bool(JsonNode table, String key) {
        if (table == null || !table.has(key)) {
            return false;
        }
        JsonNode value = table.get(key);
        if (!value.isBoolean()) {
            throw new IllegalArgumentException("init-data cdh.toml [image] " + key + " is not a boolean");
        }
        return value.asBoolean();
    }

    /** A comma-separated host[:port] list. */
    public static Set<String> hosts(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    private static JsonNode imageTable(String cdhToml) {
        try {
            JsonNode image = new TomlMapper().readTree(cdhToml).path("image");
            if (!image.isMissingNode() && !image.isObject()) {
                throw new IllegalArgumentException("init-data cdh.toml: [image] is not a table");
            }
            return image.isObject() ? image : null;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("init-data cdh.toml is not valid TOML: " + e.getOriginalMessage(), e);
        }
    }

    private static Optional<String> text(JsonNode table, String key) {
        if (table == null || !table.has(key)) {
            return Optional.empty();
        }
        JsonNode value = table.get(key);
        if (!value.isTextual()) {
            throw new IllegalArgumentException("init-data cdh.toml [image] " + key + " is not a string");
        }
        return value.asText().isBlank() ? Optional.empty() : Optional.of(value.asText().strip());
    }

    /**
     * Ours: the per-image unpack bounds, from measured init-data only (the host's command line
     * could otherwise lift what protects the guest's RAM from a hostile registry).
     */
    private static Optional<Long> positiveLong(JsonNode table, String key) {
        if (table == null || !table.has(key)) {
            return Optional.empty();
        }
        JsonNode value = table.get(key);
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1) {
            throw new IllegalArgumentException("init-data cdh.toml [image] " + key + " must be a positive integer");
        }
        return Optional.of(value.asLong());
    }

    private static Optional<Integer> positive(JsonNode table, String key) {
        if (table == null || !table.has(key)) {
            return Optional.empty();
        }
        JsonNode value = table.get(key);
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1 || value.asInt() > 64) {
            throw new IllegalArgumentException("init-data cdh.toml [image] " + key + " must be an integer 1..64");
        }
        return Optional.of(value.asInt());
    }

    /**
     * Ours: {@code insecure_registries = ["host:port", ...]} in cdh.toml's [image] table, registries
     * spoken to over plain HTTP (CoCo says it in a registries.conf). From measured init-data, so the
     * owner chose it; credentials are still never sent over plain HTTP.
     */
    private static Set<String> list(JsonNode table, String key) {
        if (table == null || !table.has(key)) {
            return Set.of();
        }
        JsonNode value = table.get(key);
        if (!value.isArray()) {
            throw new IllegalArgumentException("init-data cdh.toml [image] " + key + " is not a list");
        }
        Set<String> hosts = new java.util.LinkedHashSet<>();
        for (JsonNode host : value) {
            if (!host.isTextual() || host.asText().isBlank()) {
                throw new IllegalArgumentException("init-data cdh.toml [image] " + key + " holds a value that is not a host");
            }
            hosts.add(host.asText().strip());
        }
        return hosts;
    }

    private static List<String> certificates(JsonNode table) {
        if (table == null || !table.has("extra_root_certificates")) {
            return List.of();
        }
        JsonNode value = table.get("extra_root_certificates");
        if (!value.isArray()) {
            throw new IllegalArgumentException("init-data cdh.toml [image] extra_root_certificates is not a list");
        }
        List<String> pems = new ArrayList<>();
        for (JsonNode pem : value) {
            if (!pem.isTextual() || !pem.asText().contains("-----BEGIN CERTIFICATE-----")) {
                throw new IllegalArgumentException("init-data cdh.toml [image] extra_root_certificates holds a "
                        + "value that is not a PEM certificate");
            }
            pems.add(pem.asText());
        }
        return pems;
    }

    /** CoCo writes local files as {@code file:///path}; our loaders take the absolute path. */
    public static String location(String value) {
        return value.startsWith("file://") ? value.substring("file://".length()) : value;
    }

    private static URI proxy(String value) {
        try {
            URI uri = new URI(value.contains("://") ? value : "http://" + value);
            if (!List.of("http", "https").contains(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("https proxy " + value + " is not an http(s)://host[:port] URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("https proxy " + value + " is not a URL: " + e.getMessage(), e);
        }
    }
}
