package org.cvmagent.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.cvmagent.agent.config.ImageFile;
import org.cvmagent.agent.config.KernelCmdline;
import org.junit.jupiter.api.Test;

/** Image settings from kata's command line and from the init-data cdh.toml [image] table, as CoCo users write it. */
class ImageSettingsTest {
    private static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final String CDH = """
            socket = 'unix:///run/confidential-containers/cdh.sock'
            credentials = []

            [kbc]
            name = "cc_kbc"
            url = "https://kbs.example:8080"

            [image]
            image_security_policy_uri = 'kbs:///default/security-policy/test'
            sigstore_config_uri = 'file:///etc/containers/registries.d'
            authenticated_registry_credentials_uri = "kbs:///default/credential/test"
            image_pull_proxy = "http://proxy.example:3128"
            skip_proxy_ips = "10.0.0.1, .svc"
            max_concurrent_layer_downloads_per_image = 5
            max_unpacked_bytes_per_image = 536870912
            max_unpacked_entries_per_image = 100000
            """ + "extra_root_certificates = ['''" + PEM + "''']\n";

    @Test
    void theCdhTomlImageTableConfiguresPulls() {
        ImageSettings s = ImageSettings.from(KernelCmdline.parse(""), Optional.of(CDH));
        assertEquals(Optional.of("kbs:///default/security-policy/test"), s.policy());
        assertEquals(Optional.of("/etc/containers/registries.d"), s.registriesD(), "file:// is a local path");
        assertEquals(Optional.of("kbs:///default/credential/test"), s.registryAuth());
        assertEquals(Optional.of(URI.create("http://proxy.example:3128")), s.httpsProxy());
        assertEquals(Set.of("10.0.0.1", ".svc"), Set.copyOf(s.noProxy()));
        assertEquals(Optional.of(5), s.parallelLayers());
        assertEquals(Optional.of(536_870_912L), s.maxUnpackedBytes());
        assertEquals(Optional.of(100_000L), s.maxUnpackedEntries());
        assertEquals(List.of(PEM), s.extraRootCertificates());
        assertEquals(Set.of(), s.insecureRegistries());
    }

    @Test
    void kataCommandLineOptionsWinOverTheInitData() {
        ImageSettings s = ImageSettings.from(KernelCmdline.parse("agent.image_policy_file=/etc/policy.json "
                + "agent.image_registry_auth=file:///etc/auth.json agent.https_proxy=proxy2:8080 agent.no_proxy=a,b "
                + "agent.image_insecure_registries=10.0.2.2:5000"), Optional.of(CDH));
        assertEquals(Optional.of("/etc/policy.json"), s.policy());
        assertEquals(Optional.of("/etc/auth.json"), s.registryAuth());
        assertEquals(Optional.of(URI.create("http://proxy2:8080")), s.httpsProxy());
        assertEquals(Set.of("a", "b"), Set.copyOf(s.noProxy()));
        assertEquals(Set.of("10.0.2.2:5000"), s.insecureRegistries());
    }

    @Test
    void inConfidentialModeALocalSignaturePolicyMustBeAFileOfTheImage() {
        // The review's attack: agent.image_policy_file=/dev/vdb, a host disk holding
        // insecureAcceptAnything. In confidential mode the command line is not consulted at all
        // (Main passes none), and a local path from cdh.toml must be a root-owned file of the root disk.
        String hostDisk = "[image]\nimage_security_policy_uri = 'file:///dev/vdb'\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageSettings.from(
                KernelCmdline.parse(""), Optional.of(hostDisk), Optional.of(new ImageFile(Path.of("/")))));
        assertTrue(e.getMessage().contains("image_security_policy_uri"), e.getMessage());
        ImageSettings kbs = ImageSettings.from(KernelCmdline.parse(""), Optional.of(CDH),
                Optional.of(new ImageFile(Path.of("/"))));
        assertEquals(Optional.of("kbs:///default/security-policy/test"), kbs.policy());
    }

    @Test
    void theDecryptionKeyAndTheEncryptionRequirementComeOnlyFromInitData() {
        ImageSettings s = ImageSettings.from(KernelCmdline.parse("agent.image_decryption_key_uri=/dev/vdb"),
                Optional.of("[image]\nimage_decryption_key_uri = 'kbs:///default/image-key/rsa'\n"
                        + "require_encrypted_layers = true\n"), Optional.of(new ImageFile(Path.of("/"))));
        assertEquals(Optional.of("kbs:///default/image-key/rsa"), s.decryptionKey());
        assertTrue(s.requireEncryptedLayers());
        ImageSettings none = ImageSettings.from(KernelCmdline.parse("agent.image_decryption_key_uri=/dev/vdb"),
                Optional.empty());
        assertEquals(Optional.empty(), none.decryptionKey(), "never from the host's command line");
        assertFalse(none.requireEncryptedLayers());
        IllegalArgumentException hostDisk = assertThrows(IllegalArgumentException.class, () -> ImageSettings.from(
                KernelCmdline.parse(""), Optional.of("[image]\nimage_decryption_key_uri = 'file:///dev/vdb'\n"),
                Optional.of(new ImageFile(Path.of("/")))));
        assertTrue(hostDisk.getMessage().contains("image_decryption_key_uri"), hostDisk.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageSettings.from(KernelCmdline.parse(""),
                Optional.of("[image]\nrequire_encrypted_layers = 'yes'\n")));
    }

    @Test
    void theOwnerMayNamePlainHttpRegistriesInInitData() {
        ImageSettings s = ImageSettings.from(KernelCmdline.parse(""),
                Optional.of("[image]\ninsecure_registries = ['10.0.2.2:5000']\n"));
        assertEquals(Set.of("10.0.2.2:5000"), s.insecureRegistries());
        assertThrows(IllegalArgumentException.class, () -> ImageSettings.from(KernelCmdline.parse(""),
                Optional.of("[image]\ninsecure_registries = '10.0.2.2:5000'\n")));
    }

    @Test
    void nothingConfiguredIsNone() {
        assertEquals(ImageSettings.none(), ImageSettings.from(KernelCmdline.parse(""), Optional.empty()));
        assertEquals(ImageSettings.none(), ImageSettings.from(KernelCmdline.parse(""),
                Optional.of("[kbc]\nname = \"cc_kbc\"\nurl = \"http://kbs\"\n")));
    }

    @Test
    void malformedValuesAreRefusedNamingTheSetting() {
        for (String[] bad : new String[][] {
                {"[image]\nmax_concurrent_layer_downloads_per_image = 0\n", "max_concurrent_layer_downloads_per_image"},
                {"[image]\nmax_concurrent_layer_downloads_per_image = \"3\"\n", "max_concurrent_layer_downloads_per_image"},
                {"[image]\nmax_unpacked_bytes_per_image = 0\n", "max_unpacked_bytes_per_image"},
                {"[image]\nmax_unpacked_entries_per_image = '9'\n", "max_unpacked_entries_per_image"},
                {"[image]\nextra_root_certificates = 'not a list'\n", "extra_root_certificates"},
                {"[image]\nextra_root_certificates = ['nope']\n", "extra_root_certificates"},
                {"[image]\nimage_security_policy_uri = 3\n", "image_security_policy_uri"},
                {"[image]\nimage_pull_proxy = 'ftp://x'\n", "proxy"},
                {"image = 3\n", "[image]"},
                {"[image\n", "TOML"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImageSettings.from(KernelCmdline.parse(""), Optional.of(bad[0])), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void theImageStoreDeviceIsADiskDirectlyInDevFromTheInitDataOnly() {
        assertEquals(Optional.empty(), ImageSettings.from(KernelCmdline.parse(""), Optional.of(CDH)).storeDevice(),
                "without the setting the store is in guest RAM");
        ImageSettings s = ImageSettings.from(KernelCmdline.parse("agent.image_store_device=/dev/vdd"),
                Optional.of("[image]\nimage_store_device = \"/dev/vdc\"\n"));
        assertEquals(Optional.of(Path.of("/dev/vdc")), s.storeDevice());
        assertEquals(Optional.empty(), ImageSettings.from(KernelCmdline.parse("agent.image_store_device=/dev/vdd"),
                Optional.empty()).storeDevice(), "the host's command line never names the disk");
        for (String bad : List.of("vdc", "/dev/../etc/passwd", "/dev/disk/by-id/virtio-x", "/etc/vdc", "/dev/",
                "/dev/..", "/dev/vdc/", "/dev/.hidden", "/dev//vdc")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageSettings.from(
                    KernelCmdline.parse(""), Optional.of("[image]\nimage_store_device = '" + bad + "'\n")), bad);
            assertTrue(e.getMessage().contains("image_store_device") && e.getMessage().contains("/dev/vdc"),
                    e.getMessage());
        }
        IllegalArgumentException notText = assertThrows(IllegalArgumentException.class, () -> ImageSettings.from(
                KernelCmdline.parse(""), Optional.of("[image]\nimage_store_device = 3\n")));
        assertTrue(notText.getMessage().contains("image_store_device is not a string"), notText.getMessage());
    }
}
