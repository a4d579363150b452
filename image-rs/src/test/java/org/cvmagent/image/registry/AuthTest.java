package org.cvmagent.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** auth.json lookup, WWW-Authenticate parsing and no_proxy matching. */
class AuthTest {
    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void authFileLookupFromMostToLeastSpecific() throws IOException {
        AuthFile f = AuthFile.parse(("""
                {"auths": {
                  "registry.example.com": {"auth": "%s"},
                  "registry.example.com/team/private": {"auth": "%s"},
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "helper.example.com": {}
                }}""".formatted(b64("host:pw1"), b64("team:pw:with:colons"), b64("hub:pw3")))
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(new Credentials("team", "pw:with:colons"),
                f.lookup(ImageReference.parse("registry.example.com/team/private/app:1")).orElseThrow());
        assertEquals(new Credentials("host", "pw1"),
                f.lookup(ImageReference.parse("registry.example.com/team/public:1")).orElseThrow());
        assertEquals("hub", f.lookup(ImageReference.parse("busybox")).orElseThrow().username());
        assertTrue(f.lookup(ImageReference.parse("helper.example.com/a")).isEmpty());
        assertTrue(f.lookup(ImageReference.parse("other.example.com/a")).isEmpty());
        assertFalse(new Credentials("u", "secret").toString().contains("secret"), "passwords are never printed");
    }

    @Test
    void malformedAuthFilesFail() {
        assertThrows(IOException.class, () -> AuthFile.parse("{\"auths\":{\"h\":{\"auth\":\"%%%\"}}}".getBytes()));
        assertThrows(IOException.class, () -> AuthFile.parse(("{\"auths\":{\"h\":{\"auth\":\"" + b64("nocolon") + "\"}}}").getBytes()));
        assertThrows(IOException.class, () -> AuthFile.parse("[1]".getBytes()));
    }

    @Test
    void bearerChallengeWithQuotedCommas() {
        BearerChallenge c = BearerChallenge.parse(
                "Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
                        + "scope=\"repository:a/b:pull,push\"").orElseThrow();
        assertTrue(c.isBearer());
        assertEquals("https://auth.example.com/token", c.param("realm").orElseThrow());
        assertEquals("registry.example.com", c.param("service").orElseThrow());
        assertEquals("repository:a/b:pull,push", c.param("scope").orElseThrow());
        assertTrue(BearerChallenge.parse("Basic realm=\"Registry Realm\"").orElseThrow().isBasic());
        assertTrue(BearerChallenge.parse(null).isEmpty());
    }

    @Test
    void noProxyMatching() {
        NoProxySelector s = new NoProxySelector(URI.create("http://proxy.corp:3128"),
                List.of("localhost", ".internal.example", "example.org", "10.0.0.1:5000"));
        assertTrue(s.bypasses("localhost"));
        assertTrue(s.bypasses("reg.internal.example"));
        assertTrue(s.bypasses("example.org"));
        assertTrue(s.bypasses("sub.example.org"));
        assertTrue(s.bypasses("10.0.0.1"));
        assertFalse(s.bypasses("notexample.org"));
        assertFalse(s.bypasses("quay.io"));
        assertEquals(java.net.Proxy.Type.HTTP, s.select(URI.create("https://quay.io/v2/")).getFirst().type());
        assertEquals(java.net.Proxy.NO_PROXY, s.select(URI.create("https://example.org/v2/")).getFirst());
        assertEquals(java.net.Proxy.NO_PROXY, s.select(URI.create("http://quay.io/v2/")).getFirst());
    }
}
