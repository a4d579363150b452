package org.cvmagent.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.cvmagent.image.testing.Commands;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.image.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker-registry over HTTPS with a certificate from a test CA: trusted only through the configured bundle. */
class RegistryTlsTest {
    @TempDir
    Path temp;

    @Test
    void aConfiguredCaBundleIsTrustedAndNothingElseIsAccepted() throws Exception {
        Commands.requireBinary("/usr/bin/openssl");
        Path key = temp.resolve("key.pem");
        Path cert = temp.resolve("cert.pem");
        Commands.run(List.of("/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                "-keyout", key.toString(), "-out", cert.toString()));
        LocalRegistry registry = new LocalRegistry(cert, key);
        registry.beforeAll(null);
        try {
            OciLayout layout = new OciLayout(temp.resolve("layout"));
            byte[] layer = TarBuilder.gzip(new TarBuilder().file("f", "tls").tar());
            OciLayout.Written image = layout.image(OciLayout.config("amd64", List.of(), List.of("/f"), List.of(), ""),
                    List.of(new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP, layer)));
            layout.tag("v1", image);
            registry.push(layout, "v1", "tls/app");
            ImageReference ref = ImageReference.parse(registry.host() + "/tls/app:v1");

            RegistryClient trusting = new RegistryClient(RegistryConfig.defaults().withCaBundle(cert));
            assertEquals(image.digest(), trusting.fetchManifest(ref).digest());

            RegistryClient system = new RegistryClient(RegistryConfig.defaults());
            RegistryException e = assertThrows(RegistryException.class, () -> system.fetchManifest(ref));
            assertEquals(RegistryException.Reason.NETWORK, e.reason());
            assertTrue(e.getMessage().contains("TLS"), e.getMessage());

            RegistryClient plain = new RegistryClient(RegistryConfig.defaults().withInsecureRegistries(Set.of(registry.host()))
                    .withRetries(1, java.time.Duration.ZERO));
            assertThrows(RegistryException.class, () -> plain.fetchManifest(ref), "plain HTTP to a TLS port fails");
        } finally {
            registry.afterAll(null);
        }
    }
}
