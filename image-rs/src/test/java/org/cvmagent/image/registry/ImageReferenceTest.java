package org.cvmagent.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    private static final String HEX = "a".repeat(64);

    @Test
    void dockerHubDefaults() {
        ImageReference r = ImageReference.parse("busybox");
        assertEquals("docker.io", r.registry());
        assertEquals("library/busybox", r.repository());
        assertEquals("latest", r.tag());
        assertEquals("registry-1.docker.io", r.apiHost());
        assertEquals("docker.io/library/busybox:latest", r.toString());
        assertEquals("library/busybox", ImageReference.parse("docker.io/busybox:1").repository());
        assertEquals("library/busybox", ImageReference.parse("index.docker.io/library/busybox").repository());
        assertEquals("user/app", ImageReference.parse("user/app:v2").repository());
        assertEquals("docker.io", ImageReference.parse("user/app:v2").registry());
    }

    @Test
    void registriesWithPortsTagsAndDigests() {
        ImageReference r = ImageReference.parse("127.0.0.1:5000/a/b/c:v1.2-rc_3@sha256:" + HEX);
        assertEquals("127.0.0.1:5000", r.registry());
        assertEquals("127.0.0.1:5000", r.apiHost());
        assertEquals("a/b/c", r.repository());
        assertEquals("v1.2-rc_3", r.tag());
        assertEquals(new Digest("sha256", HEX), r.digest());
        assertEquals("sha256:" + HEX, r.manifestReference(), "the digest wins over the tag");
        ImageReference d = ImageReference.parse("localhost/app@sha256:" + HEX);
        assertEquals("localhost", d.registry());
        assertNull(d.tag());
        assertEquals("quay.io", ImageReference.parse("quay.io/x/y").registry());
        assertEquals("latest", ImageReference.parse("registry.example.com:443/x").tag());
    }

    @Test
    void invalidReferencesAreRefused() {
        for (String bad : new String[] {"", "UPPER/case", "a//b", "a/b:", "a/b:-tag", "a@sha256:abc", "a@md5:" + HEX,
                "host:99999/a", "a/../b", "a b", "a/b:" + "t".repeat(129), "a@sha256:" + HEX.toUpperCase()}) {
            assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(bad), bad);
        }
    }
}
