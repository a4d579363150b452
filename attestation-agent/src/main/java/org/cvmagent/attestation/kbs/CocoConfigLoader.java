package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads the KBS settings from CoCo's configuration files, with the keys guest-components reads:
 * aa.toml's {@code [token_configs.kbs]} ({@code url}, {@code cert}, {@code tee_key_algorithm}) and
 * cdh.toml's {@code [kbc]} ({@code name = "cc_kbc"}, {@code url}, {@code kbs_cert}).
 */
public final class CocoConfigLoader {
    /** The only KBC that talks to a KBS; offline_fs_kbc and the others read local files. */
    static final String CC_KBC = "cc_kbc";

    private final TomlMapper toml;

    public CocoConfigLoader(TomlMapper toml) {
        this.toml = toml;
    }

    public KbsConfig fromAaToml(Path file, boolean plainHttpAllowed) throws KbsException {
        return fromAaToml(read(file), plainHttpAllowed);
    }

    public KbsConfig fromCdhToml(Path file, boolean plainHttpAllowed) throws KbsException {
        return fromCdhToml(read(file), plainHttpAllowed);
    }

    public KbsConfig fromAaToml(String text, boolean plainHttpAllowed) throws KbsException {
        JsonNode kbs = parse(text, "aa.toml").path("token_configs").path("kbs");
        if (!kbs.isObject()) {
            throw config("aa.toml has no [token_configs.kbs] table");
        }
        TeeKeyAlgorithm algorithm = TeeKeyAlgorithm.DEFAULT;
        Optional<String> algorithmName = optionalString(kbs, "tee_key_algorithm", "aa.toml [token_configs.kbs]");
        if (algorithmName.isPresent()) {
            algorithm = TeeKeyAlgorithm.fromConfigName(algorithmName.get())
                    .orElseThrow(() -> config("aa.toml [token_configs.kbs] tee_key_algorithm '" + algorithmName.get()
                            + "' is not one of ECDH-ES+A256KW-P256, ECDH-ES+A256KW-P521, RSA-OAEP-256"));
        }
        return build(requiredString(kbs, "url", "aa.toml [token_configs.kbs]"),
                optionalString(kbs, "cert", "aa.toml [token_configs.kbs]"), algorithm, plainHttpAllowed, "aa.toml");
    }

    public KbsConfig fromCdhToml(String text, boolean plainHttpAllowed) throws KbsException {
        JsonNode kbc = parse(text, "cdh.toml").path("kbc");
        if (!kbc.isObject()) {
            throw config("cdh.toml has no [kbc] table");
        }
        String name = requiredString(kbc, "name", "cdh.toml [kbc]");
        if (!CC_KBC.equals(name)) {
            throw config("cdh.toml [kbc] name '" + name + "' is not supported: only " + CC_KBC + " talks to a KBS");
        }
        return build(requiredString(kbc, "url", "cdh.toml [kbc]"), optionalString(kbc, "kbs_cert", "cdh.toml [kbc]"),
                TeeKeyAlgorithm.DEFAULT, plainHttpAllowed, "cdh.toml");
    }

    private static KbsConfig build(String url, Optional<String> cert, TeeKeyAlgorithm algorithm, boolean plainHttpAllowed,
            String file) throws KbsException {
        try {
            return new KbsConfig(new URI(url), cert, algorithm, plainHttpAllowed);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new KbsException(KbsException.Kind.CONFIGURATION, file + ": " + e.getMessage(), e);
        }
    }

    private String read(Path file) throws KbsException {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new KbsException(KbsException.Kind.CONFIGURATION, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private JsonNode parse(String text, String file) throws KbsException {
        try {
            return toml.readTree(text);
        } catch (IOException e) {
            throw new KbsException(KbsException.Kind.CONFIGURATION, file + " is not valid TOML: " + e.getMessage(), e);
        }
    }

    private static String requiredString(JsonNode table, String key, String where) throws KbsException {
        return optionalString(table, key, where).orElseThrow(() -> config(where + " has no " + key));
    }

    private static Optional<String> optionalString(JsonNode table, String key, String where) throws KbsException {
        JsonNode value = table.get(key);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw config(where + " " + key + " must be a string");
        }
        return Optional.of(value.textValue());
    }

    private static KbsException config(String message) {
        return new KbsException(KbsException.Kind.CONFIGURATION, message);
    }
}
