package org.cvmagent.attestation.kbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** aa.toml and cdh.toml in the shapes guest-components ships (its config.example.toml files). */
class CocoConfigLoaderTest {
    private static final String CERT = """
            -----BEGIN CERTIFICATE-----
            MIIBfzCCASWgAwIBAgIUJq2ZD9wLAX8bG0d3bWv2qf8j0wAwCgYIKoZIzj0EAwIw
            -----END CERTIFICATE-----
            """;

    private static final String AA_TOML = """
            [token_configs]

            [token_configs.coco_as]
            url = "http://127.0.0.1:8000"

            [token_configs.kbs]
            url = "https://127.0.0.1:8080"
            tee_key_algorithm = "RSA-OAEP-256"
            cert = '''
            %s'''

            [eventlog_config]

            init_pcr = 17
            enable_eventlog = false

            [log]
            level = "info"
            """.formatted(CERT);

    private static final String CDH_TOML = """
            # The ttrpc sock of CDH that is used to listen to the requests
            socket = "unix:///run/confidential-containers/cdh.sock"

            [aa]
            aa_socket = "unix:///run/confidential-containers/attestation-agent/attestation-agent.sock"

            [kbc]
            name = "cc_kbc"
            url = "https://kbs.example.io:8080"
            kbs_cert = \"""
            %s\"""

            [[credentials]]
            path = "/run/confidential-containers/cdh/kbs/test/file"
            resource_uri = "kbs:///default/test/file"

            [image]
            max_concurrent_layer_downloads_per_image = 3
            image_security_policy_uri = "kbs:///default/security-policy/test"
            """.formatted(CERT);

    private final CocoConfigLoader loader = new CocoConfigLoader(new TomlMapper());

    @Test
    void aaTomlGivesTheKbsUrlCertAndKeyAlgorithm() throws Exception {
        KbsConfig config = loader.fromAaToml(AA_TOML, false);

        assertEquals("https://127.0.0.1:8080", config.baseUrl());
        assertEquals("127.0.0.1:8080", config.authority());
        assertEquals(CERT, config.certificatePem().orElseThrow());
        assertEquals(TeeKeyAlgorithm.RSA_OAEP_256, config.teeKeyAlgorithm());
        assertFalse(config.plainHttpAllowed());
    }

    @Test
    void aaTomlWithoutAlgorithmUsesTheEcDefault(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("aa.toml");
        Files.writeString(file, "[token_configs.kbs]\nurl = \"http://10.0.0.1:8080\"\n");

        KbsConfig config = loader.fromAaToml(file, true);

        assertEquals(TeeKeyAlgorithm.ECDH_ES_A256KW_P256, config.teeKeyAlgorithm());
        assertTrue(config.certificatePem().isEmpty());
        assertTrue(config.plainHttpAllowed());
    }

    @Test
    void cdhTomlGivesTheCcKbcUrlAndCert() throws Exception {
        KbsConfig config = loader.fromCdhToml(CDH_TOML, false);

        assertEquals("https://kbs.example.io:8080", config.baseUrl());
        assertEquals("kbs.example.io:8080", config.authority());
        assertTrue(config.certificatePem().orElseThrow().contains("BEGIN CERTIFICATE"));
        assertEquals(TeeKeyAlgorithm.DEFAULT, config.teeKeyAlgorithm());
    }

    @Test
    void offlineKbcIsRefusedClearly() {
        KbsException e = assertThrows(KbsException.class,
                () -> loader.fromCdhToml("[kbc]\nname = \"offline_fs_kbc\"\nurl = \"null\"\n", false));

        assertEquals(KbsException.Kind.CONFIGURATION, e.kind());
        assertTrue(e.getMessage().contains("offline_fs_kbc"), e.getMessage());
    }

    @Test
    void malformedConfigurationsAreClearErrors() {
        assertMessage(() -> loader.fromAaToml("[token_configs.coco_as]\nurl = \"x\"\n", false), "[token_configs.kbs]");
        assertMessage(() -> loader.fromAaToml("[token_configs.kbs]\ncert = \"x\"\n", false), "has no url");
        assertMessage(() -> loader.fromAaToml("[token_configs.kbs]\nurl = \"https://k\"\ntee_key_algorithm = \"RSA1_5\"\n", false),
                "RSA1_5");
        assertMessage(() -> loader.fromAaToml("[token_configs.kbs]\nurl = \"ftp://k\"\n", false), "https://");
        assertMessage(() -> loader.fromAaToml("[token_configs.kbs]\nurl = 8080\n", false), "must be a string");
        assertMessage(() -> loader.fromAaToml("[token_configs.kbs\n", false), "not valid TOML");
        assertMessage(() -> loader.fromCdhToml("socket = \"x\"\n", false), "no [kbc]");
    }

    @Test
    void aMissingFileIsAConfigurationError(@TempDir Path dir) {
        assertMessage(() -> loader.fromCdhToml(dir.resolve("absent.toml"), false), "cannot read");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        KbsException e = assertThrows(KbsException.class, call);
        assertEquals(KbsException.Kind.CONFIGURATION, e.kind());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
