package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DockerReferenceTest {

    private static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void normalisesLikeDocker() {
        assertEquals("docker.io/library/busybox", DockerReference.parse("busybox").toString());
        assertEquals("docker.io/library/busybox:1.36", DockerReference.parse("busybox:1.36").toString());
        assertEquals("docker.io/library/busybox", DockerReference.parse("index.docker.io/busybox").toString());
        assertEquals("docker.io/user/app", DockerReference.parse("user/app").toString());
        DockerReference r = DockerReference.parse("localhost:5000/ns/app:v1@" + DIGEST);
        assertEquals("localhost:5000", r.domain());
        assertEquals("ns/app", r.path());
        assertEquals("v1", r.tag().orElseThrow());
        assertEquals(DIGEST, r.digest().orElseThrow());
        assertEquals("localhost:5000/ns/app", r.name());
    }

    @Test
    void rejectsMalformedReferences() {
        for (String bad : List.of("", "example.com/UPPER:tag", "Upper", "example.com/a//b", "example.com/app:", "example.com/app@sha256:12",
                "example.com/../app", "example.com/app:-tag")) {
            assertThrows(IllegalArgumentException.class, () -> DockerReference.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> DockerReference.parseFullyQualified("busybox"));
    }

    @Test
    void scopeCandidatesGoFromMostToLeastSpecific() {
        assertEquals(List.of("registry.example.com:5000/ns/sub/app:v1", "registry.example.com:5000/ns/sub/app",
                        "registry.example.com:5000/ns/sub", "registry.example.com:5000/ns", "registry.example.com:5000",
                        "*.example.com", "*.com"),
                DockerReference.parse("registry.example.com:5000/ns/sub/app:v1").scopeCandidates());
    }

    @Test
    void validatesScopes() {
        for (String ok : List.of("example.com", "example.com:5000", "example.com/ns", "example.com/ns/app:v1",
                "example.com/ns/app@" + DIGEST, "*.example.com", "docker.io/library", "localhost/app")) {
            assertTrue(DockerReference.isValidScope(ok), ok);
        }
        for (String bad : List.of("busybox", "library/busybox", "*.", "*.example.com/ns", "example.com/NS", "http://example.com")) {
            assertFalse(DockerReference.isValidScope(bad), bad);
        }
    }
}
