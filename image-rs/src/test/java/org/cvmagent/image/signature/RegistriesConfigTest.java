package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.junit.jupiter.api.Test;

class RegistriesConfigTest {

    private static RegistriesConfig parse(String... files) throws SignatureVerificationException {
        Map<String, byte[]> map = new LinkedHashMap<>();
        for (int i = 0; i < files.length; i++) {
            map.put("file" + i + ".yaml", files[i].getBytes(StandardCharsets.UTF_8));
        }
        return RegistriesConfig.parse(map);
    }

    private static void assertInvalid(String expected, String... files) {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class, () -> parse(files));
        assertEquals(Reason.INVALID_POLICY, e.reason());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void mostSpecificNamespaceWithALookasideWins() throws Exception {
        RegistriesConfig c = parse("""
                default-docker:
                  lookaside: https://default.example.com/sigs
                docker:
                  reg.example.com:
                    lookaside: https://host.example.com/sigs
                    use-sigstore-attachments: true
                  reg.example.com/ns/app:
                    lookaside-staging: file:///staging
                    use-sigstore-attachments: false
                """, """
                docker:
                  reg.example.com/ns:
                    lookaside: file:///var/lib/sigs
                """);
        assertEquals(Optional.of(URI.create("file:///var/lib/sigs")), c.lookasideFor(DockerReference.parse("reg.example.com/ns/app:v1")));
        assertEquals(Optional.of(URI.create("https://host.example.com/sigs")), c.lookasideFor(DockerReference.parse("reg.example.com/x:v1")));
        assertEquals(Optional.of(URI.create("https://default.example.com/sigs")), c.lookasideFor(DockerReference.parse("quay.io/x:v1")));
        assertFalse(c.useSigstoreAttachments(DockerReference.parse("reg.example.com/ns/app:v1")));
        assertTrue(c.useSigstoreAttachments(DockerReference.parse("reg.example.com/ns/other:v1")));
        assertFalse(c.useSigstoreAttachments(DockerReference.parse("quay.io/x:v1")));
    }

    @Test
    void signatureUrlLayout() {
        String digest = "sha256:" + "ab".repeat(32);
        assertEquals(URI.create("https://sigs.example.com/store/library/busybox@sha256=" + "ab".repeat(32) + "/signature-3"),
                LookasideSignatureSource.signatureUri(URI.create("https://sigs.example.com/store/"),
                        DockerReference.parse("busybox:latest"), digest, 3));
    }

    @Test
    void malformedConfigurationFails() {
        assertInvalid("unknown field \"lookasid\"", "default-docker:\n  lookasid: file:///x\n");
        assertInvalid("unknown field \"dockr\"", "dockr: {}\n");
        assertInvalid("defined both in", "default-docker:\n  lookaside: file:///a\n", "default-docker:\n  lookaside: file:///b\n");
        assertInvalid("defined both in", "docker:\n  example.com:\n    lookaside: file:///a\n",
                "docker:\n  example.com:\n    lookaside: file:///b\n");
        assertInvalid("both lookaside and its legacy name", "default-docker:\n  lookaside: file:///a\n  sigstore: file:///b\n");
        assertInvalid("must be a file://, http:// or https:// URL", "default-docker:\n  lookaside: ftp://example.com/x\n");
        assertInvalid("not a valid registry namespace", "docker:\n  busybox:\n    lookaside: file:///a\n");
        assertInvalid("use-sigstore-attachments must be true or false", "default-docker:\n  use-sigstore-attachments: yes please\n");
        assertInvalid("not valid YAML", "default-docker: [\n");
    }
}
