package org.cvmagent.transport;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PemMaterialTest {

    @Test
    void explainsTraditionalKeyFormats() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PemMaterial.privateKey(
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"));
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());
    }

    @Test
    void refusesEncryptedKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PemMaterial.privateKey(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"));
        assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
    }

    @Test
    void refusesTextWithoutAKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PemMaterial.privateKey("hello"));
        assertTrue(e.getMessage().contains("no '-----BEGIN PRIVATE KEY-----' block"), e.getMessage());
    }

    @Test
    void refusesAKeyOfNeitherSupportedAlgorithm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PemMaterial.privateKey(
                "-----BEGIN PRIVATE KEY-----\nAAECAwQ=\n-----END PRIVATE KEY-----\n"));
        assertTrue(e.getMessage().startsWith("TLS private key is neither an RSA nor an EC PKCS#8 key"), e.getMessage());
    }

    @Test
    void refusesTextWithoutCertificates() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PemMaterial.certificates("", "TLS CA certificates"));
        assertTrue(e.getMessage().startsWith("TLS CA certificates"), e.getMessage());
    }

    @Test
    void tlsConfigNeverPrintsTheKey() {
        TlsConfig config = new TlsConfig("chain", "-----BEGIN PRIVATE KEY-----secret", "ca", true);
        assertFalse(config.toString().contains("secret"), config.toString());
        assertEquals("TlsConfig[ownCertificate=true, trustedCa=true, needClientAuth=true]", config.toString());
    }

    @Test
    void tlsConfigChecksItsParts() {
        assertThrows(IllegalArgumentException.class, () -> new TlsConfig("chain", null, "ca", false));
        assertThrows(IllegalArgumentException.class, () -> new TlsConfig("chain", "key", null, true));
    }
}
